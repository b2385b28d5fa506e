using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using StaticD.Files;
using StaticD.Interop;
using Xunit;

namespace StaticD.Tests.Files;

/// <summary>
/// A deploy layout in a temporary directory (<c>releases/N</c> and links or directories next to them) and the
/// operations deploy tools perform on it, done with the syscalls they use: rename(2) is called directly, because
/// the atomic symlink swap is exactly "rename a new link over the old one".
/// </summary>
internal sealed partial class DeployLayout : IDisposable
{
    public DeployLayout()
    {
        Base = Directory.CreateTempSubdirectory("staticd-rootswap-").FullName;
    }

    public string Base { get; }

    public string PathOf(string relative) => Path.Combine(Base, relative);

    /// <summary>releases/<paramref name="name"/> with the given files (name → content).</summary>
    public string Release(string name, params (string File, string Content)[] files)
    {
        string directory = PathOf(Path.Combine("releases", name));
        Directory.CreateDirectory(directory);
        foreach ((string file, string content) in files)
        {
            string path = Path.Combine(directory, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }
        return directory;
    }

    /// <summary>The atomic swap: a new link beside the old one, renamed over it (ln -sfn T L.tmp; mv -T L.tmp L).</summary>
    public void PointLink(string link, string target)
    {
        string path = PathOf(link), temporary = path + ".tmp";
        File.Delete(temporary);
        File.CreateSymbolicLink(temporary, target);
        TestLibc.Rename(temporary, path);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Base, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class RootAssert
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    /// <summary>What <paramref name="path"/> holds when resolved against the root's current descriptor, or null
    /// when it is not found there.</summary>
    public static string? Read(SiteRoot root, string path)
    {
        FileResolution r = default;
        FileResolver.Resolve(root.Fd, Encoding.UTF8.GetBytes(path), ref r);
        if (r.Status != 200) return null;
        try
        {
            var buffer = new byte[4096];
            int n = (int)Syscall.Read(r.Fd, buffer, out _);
            return Encoding.UTF8.GetString(buffer, 0, Math.Max(n, 0));
        }
        finally
        {
            Syscall.Close(r.Fd);
        }
    }

    /// <summary>Polls (every 10 ms, up to <see cref="Deadline"/>) until the watcher has re-opened the root
    /// <paramref name="count"/> times in all.</summary>
    public static void GenerationReaches(SiteRoot root, int count)
    {
        Assert.True(Eventually(() => root.Generation >= count),
            $"root generation still {root.Generation} after {Deadline.TotalSeconds} s, expected {count}");
        Assert.Equal(count, root.Generation);
    }

    /// <summary>True as soon as <paramref name="condition"/> holds, checked every 10 ms; false after <see cref="Deadline"/>.</summary>
    public static bool Eventually(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Deadline) return false;
            Thread.Sleep(10);
        }
        return true;
    }
}

/// <summary>Keeps every log line written, for assertions on what the watcher said.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly List<(LogLevel Level, int EventId, string Message)> _entries = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries) _entries.Add((logLevel, eventId.Id, formatter(state, exception)));
    }

    public List<(LogLevel Level, int EventId, string Message)> Entries
    {
        get
        {
            lock (_entries) return [.. _entries];
        }
    }

    public int Count(int eventId) => Entries.Count(e => e.EventId == eventId);
}

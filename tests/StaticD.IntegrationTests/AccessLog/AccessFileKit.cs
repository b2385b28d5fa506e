using System.Diagnostics;
using System.Text.Json.Nodes;
using StaticD.IntegrationTests.Systemd;
using Xunit;

namespace StaticD.IntegrationTests.AccessLog;

/// <summary>A server whose access log is a file in a directory of the test's own (never inside the web root).</summary>
internal sealed class AccessFileServer : IDisposable
{
    public AccessFileServer(Action<WebRoot> populate, string format = "combined", Action<JsonObject, string>? configure = null,
        string fileName = "access.log")
    {
        LogDirectory = Directory.CreateTempSubdirectory("staticd-accesslog-").FullName;
        LogPath = Path.Combine(LogDirectory, fileName);
        Config = new SiteConfig(populate, doc =>
        {
            JsonObject section = doc["StaticD"]!.AsObject();
            section["AccessLog"] = new JsonObject { ["Target"] = "file", ["Path"] = LogPath, ["Format"] = format };
            configure?.Invoke(section, LogDirectory);
        });
    }

    public string LogDirectory { get; }
    public string LogPath { get; }
    public SiteConfig Config { get; }
    public int Port => Config.Port;
    public ChildProcess? Process { get; private set; }

    public ChildProcess Start()
    {
        Process = ServiceProcess.StartStaticD(Config.Path);
        Process.WaitUntilAccepting(Port, Kit.Timeout);
        return Process;
    }

    /// <summary>SIGTERM, exit 0: everything queued is in the file after this.</summary>
    public void Stop() => Kit.Stop(Process!);

    public void Dispose()
    {
        Process?.Dispose();
        Config.Dispose();
        Directory.Delete(LogDirectory, recursive: true);
    }
}

internal static class AccessFileKit
{
    public static readonly TimeSpan LogDeadline = TimeSpan.FromSeconds(15);

    /// <summary>The file's whole lines (a line still being written is not counted).</summary>
    public static string[] Lines(string path)
    {
        if (!File.Exists(path)) return [];
        string text = File.ReadAllText(path, System.Text.Encoding.Latin1);
        int end = text.LastIndexOf('\n');
        return end < 0 ? [] : text[..end].Split('\n');
    }

    /// <summary>Polls until <paramref name="path"/> has at least <paramref name="count"/> lines (a deadline, not a pause).</summary>
    public static string[] WaitForLines(string path, int count)
    {
        var clock = Stopwatch.StartNew();
        string[] lines;
        while ((lines = Lines(path)).Length < count)
        {
            if (clock.Elapsed > LogDeadline) Assert.Fail($"{path} has {lines.Length} lines after {LogDeadline.TotalSeconds} s, expected {count}");
            Thread.Sleep(20);
        }
        return lines;
    }
}

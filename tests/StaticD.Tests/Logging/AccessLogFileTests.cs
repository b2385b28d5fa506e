using System.Text;
using StaticD.Logging;
using StaticD.Tests.Files;
using Xunit;

namespace StaticD.Tests.Logging;

/// <summary>The file writer on real files: lines from several loops arrive whole, a reopen after a rename loses
/// none, the bounded backlog drops and counts instead of growing, and a stop writes everything.</summary>
public sealed class AccessLogFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("staticd-accessfile-").FullName;
    private readonly ListLogger _log = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string LogPath => Path.Combine(_dir, "access.log");

    private static AccessRecord Line(int i)
    {
        byte[] target = Encoding.ASCII.GetBytes($"/file-{i}.html");
        return new AccessRecord { HeadParsed = true, Method = "GET"u8, Target = target, VersionMinor = 1, Status = 200, BodyBytes = i };
    }

    private AccessLogFile Open(int loops)
    {
        AccessLogFile file = AccessLogFile.Open(LogPath, loops, out var errno) ?? throw new InvalidOperationException(errno.ToString());
        return file;
    }

    [Fact]
    public void LinesOfSeveralLoopsArriveWhole()
    {
        AccessLogFile file = Open(2);
        file.Start(_log);
        var loops = Enumerable.Range(0, 2).Select(loop => new Thread(() =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                file.Append(loop, 1796476921, Line(i), json: false, vhost: false);
                if (i % 5000 == 0) file.Flush(loop);
            }
            file.Flush(loop);
        })).ToList();
        loops.ForEach(t => t.Start());
        loops.ForEach(t => t.Join());
        file.Dispose();

        // Two threads appending as fast as they can outrun a writer now and then: what is not written is counted.
        string[] lines = File.ReadAllLines(LogPath);
        Assert.Equal(40_000, lines.Length + file.Dropped);
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Matches(@"^- - - \[05/Dec/2026:13:22:01 \+0000\] ""GET /file-(\d+)\.html HTTP/1\.1"" 200 \1 ""-"" ""-""$", l));
    }

    [Fact]
    public void AppendReportsTheFirstLineSinceTheLastFlush()
    {
        AccessLogFile file = Open(1);
        Assert.True(file.Append(0, 0, Line(1), false, false));
        Assert.False(file.Append(0, 0, Line(2), false, false));
        file.Flush(0);
        Assert.True(file.Append(0, 0, Line(3), false, false));
        file.Flush(0);
        file.Dispose(); // never started: the stopping thread writes what was handed over
        Assert.Equal(3, File.ReadAllLines(LogPath).Length);
    }

    [Fact]
    public void AReopenAfterARenameLosesNoLine()
    {
        AccessLogFile file = Open(1);
        file.Start(_log);
        for (int i = 0; i < 1000; i++) file.Append(0, 0, Line(i), false, false);
        file.Flush(0);
        string rotated = LogPath + ".1";
        File.Move(LogPath, rotated);
        file.RequestReopen();
        // The new file appears when the writer has reopened (a poll with a deadline, not a pause).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(LogPath) && DateTime.UtcNow < deadline) Thread.Yield();
        Assert.True(File.Exists(LogPath), "the path was not opened again");
        for (int i = 1000; i < 2000; i++) file.Append(0, 0, Line(i), false, false);
        file.Flush(0);
        file.Dispose();

        string[] before = File.ReadAllLines(rotated), after = File.ReadAllLines(LogPath);
        Assert.Equal(1000, before.Length);
        Assert.Equal(1000, after.Length);
        Assert.Contains("/file-1000.html", after[0]);
        Assert.Equal(1, _log.Count(61));
    }

    [Fact]
    public void AFullBacklogDropsAndCountsInsteadOfGrowing()
    {
        AccessLogFile file = Open(1);
        // No writer yet: nothing is written, so the chunks fill up to the bound and then lines are dropped.
        int appended = 0;
        while (file.Dropped == 0 && appended < 1_000_000)
        {
            file.Append(0, 0, Line(appended), false, false);
            appended++;
        }
        Assert.True(file.Dropped > 0, "no line was dropped");
        for (int i = 0; i < 100; i++) file.Append(0, 0, Line(i), false, false);
        long dropped = file.Dropped;
        Assert.True(dropped >= 101);

        // The writer drains the backlog; lines are taken again.
        file.Start(_log);
        file.Flush(0);
        file.Dispose();
        Assert.Equal(appended + 100 - dropped, File.ReadAllLines(LogPath).Length);
        // Bounded: one chunk per loop plus the queue, each filled to within a line's worst case of 64 KiB.
        Assert.InRange(new FileInfo(LogPath).Length, (AccessLogFile.MaxQueuedChunks + 1) * (AccessLogFile.ChunkSize - 1200),
            (AccessLogFile.MaxQueuedChunks + 1) * AccessLogFile.ChunkSize);
        Assert.Contains(_log.Entries, e => e.EventId == 60 && e.Message.Contains($"dropped {dropped} entries") && e.Message.Contains("could not keep up"));
    }
}

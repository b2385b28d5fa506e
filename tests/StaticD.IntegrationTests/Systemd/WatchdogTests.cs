using Xunit;

namespace StaticD.IntegrationTests.Systemd;

/// <summary>
/// WATCHDOG=1 at half of WATCHDOG_USEC while every event loop turns, and not at all when WATCHDOG_PID names
/// another process or when a loop is wedged (the test hook STATICD_TEST_WEDGE_LOOP0_AFTER_MS).
/// </summary>
public sealed class WatchdogTests
{
    private const string Ping = "WATCHDOG=1";

    private static int PingsBetween(NotifyListener notify, TimeSpan start, TimeSpan end) =>
        notify.Messages.Count(m => m.Text == Ping && m.At >= start && m.At < end);

    /// <summary>1 s interval → a ping every 0.5 s: about 13 in the 6.5 s after READY, where pinging at the interval
    /// itself would give at most 7; and pings still in [4.5 s, 6.5 s), the control for the wedged-loop test, which
    /// must see none in that window. The bounds leave room for a stall of a second or two on a busy machine.</summary>
    [Fact]
    public void PingsAtHalfTheInterval()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "x"));
        using var notify = new NotifyListener();
        using var server = Kit.StartNotified(site, notify, new() { ["WATCHDOG_USEC"] = "1000000" });
        TimeSpan ready = notify.WaitForText(Kit.Ready, Kit.Timeout).At;

        Thread.Sleep(ready + TimeSpan.FromSeconds(6.5) - notify.Now);
        Assert.True(PingsBetween(notify, ready, ready + TimeSpan.FromSeconds(6.5)) >= 9, "too few pings in the first 6.5 s:\n" + notify.Transcript);
        Assert.True(PingsBetween(notify, ready + TimeSpan.FromSeconds(4.5), ready + TimeSpan.FromSeconds(6.5)) >= 2, "too few pings in [4.5 s, 6.5 s):\n" + notify.Transcript);
        // No ping is only ever a whole message: "WATCHDOG=1" never rides along with another state.
        Assert.DoesNotContain(notify.Messages, m => m.Text != Ping && m.Text.Contains("WATCHDOG", StringComparison.Ordinal));
    }

    /// <summary>WATCHDOG_PID set to another process (a parent shell, say) means the watchdog is not ours.</summary>
    [Fact]
    public void NoPingsWhenWatchdogPidNamesAnotherProcess()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "x"));
        using var notify = new NotifyListener();
        using var server = Kit.StartNotified(site, notify, new() { ["WATCHDOG_USEC"] = "1000000", ["WATCHDOG_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Thread.Sleep(2500);
        Assert.DoesNotContain(notify.Messages, m => m.Text.Contains("WATCHDOG", StringComparison.Ordinal));
    }

    /// <summary>WATCHDOG_PID naming staticd itself (exec in place keeps the pid) → pings.</summary>
    [Fact]
    public void PingsWhenWatchdogPidIsItsOwn()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "x"));
        using var notify = new NotifyListener();
        using var server = ServiceProcess.StartPython("systemd_exec.py",
            ["--env", "WATCHDOG_USEC=1000000", "--env-self", "WATCHDOG_PID", "--", StaticDProcess.BinaryPath, "--config", site.Path],
            new() { ["NOTIFY_SOCKET"] = notify.Path });
        TimeSpan ready = notify.WaitForText(Kit.Ready, Kit.Timeout).At;
        notify.WaitFor(m => m.Text == Ping, TimeSpan.FromSeconds(2), from: 0);
        Assert.True(notify.Messages.First(m => m.Text == Ping).At > ready);
    }

    /// <summary>Loop 0 of 2 stops iterating 1.5 s after start: pings come at first, then stop once the loop has
    /// been silent for max(2 s, interval/2) — so none from ~4.5 s on — and the stall is logged.</summary>
    [Fact]
    public void WedgedLoopStopsThePings()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "x"), loops: 2);
        using var notify = new NotifyListener();
        var server = Kit.StartNotified(site, notify, new() { ["WATCHDOG_USEC"] = "1000000", ["STATICD_TEST_WEDGE_LOOP0_AFTER_MS"] = "1500" });
        try
        {
            TimeSpan ready = notify.WaitForText(Kit.Ready, Kit.Timeout).At;
            Thread.Sleep(ready + TimeSpan.FromSeconds(6.5) - notify.Now);
            // Pings go on until the loop has been silent for 2 s, about 3.5 s after start.
            Assert.True(PingsBetween(notify, ready, ready + TimeSpan.FromSeconds(3)) >= 1, "no pings before the wedge:\n" + notify.Transcript);
            Assert.True(PingsBetween(notify, ready + TimeSpan.FromSeconds(4.5), ready + TimeSpan.FromSeconds(6.5)) == 0, "pings despite a wedged loop:\n" + notify.Transcript);
            server.WaitForStderr("an event loop has not completed an iteration recently", Kit.Timeout);
        }
        finally
        {
            // A wedged loop cannot finish a graceful stop; that is what the watchdog is for.
            if (!server.HasExited) server.Signal(TestLibc.SIGKILL);
            server.WaitForExit(Kit.Timeout);
            server.Dispose();
        }
    }
}

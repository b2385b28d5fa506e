using Xunit;

namespace StaticD.IntegrationTests.Systemd;

/// <summary>
/// sd_listen_fds(3) against the real tool: systemd-socket-activate binds, waits for the first connection and execs
/// staticd with the socket on fd 3 (LISTEN_FDS / LISTEN_PID / LISTEN_FDNAMES). staticd must serve there and not on
/// its configured port; descriptors that are not listening TCP sockets stop it with exit code 1.
/// </summary>
public sealed class SocketActivationTests
{
    private static readonly TimeSpan Timeout = Kit.Timeout;

    /// <summary>systemd-socket-activate gives the service a fresh environment (LISTEN_* and what --setenv names),
    /// so NOTIFY_SOCKET must be passed with -E.</summary>
    private static ChildProcess Activate(SiteConfig site, int port, string? notifySocket = null) =>
        ServiceProcess.Start("systemd-socket-activate",
            ["-l", $"127.0.0.1:{port}", "--fdname=http", .. notifySocket is null ? Array.Empty<string>() : ["-E", "NOTIFY_SOCKET=" + notifySocket],
             StaticDProcess.BinaryPath, "--config", site.Path]);

    [Fact]
    public async Task ServesOnThePassedSocketNotTheConfiguredPort()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "activated"));
        int passed = StaticDProcess.FreePort();
        using var notify = new NotifyListener();
        using var server = Activate(site, passed, notify.Path);
        server.WaitUntilAccepting(passed, Timeout); // systemd-socket-activate itself listens at once

        // The first connection makes systemd-socket-activate exec staticd (same pid) with the socket as fd 3.
        HttpResponse response = await Kit.GetAsync(passed, "/index.html");
        HttpAssert.Status(200, response);
        Assert.Equal("activated", response.BodyText);
        server.WaitForStderr("socket activation: serving on the sockets systemd passed (http://127.0.0.1:" + passed + ")", Timeout);
        notify.WaitForText(Kit.Ready, Timeout);

        Assert.True(Kit.IsRefused(site.Port), $"the configured port {site.Port} must not be bound under socket activation");
        // The sockets came from the service manager: nothing to hand back to its fd store.
        Assert.DoesNotContain(notify.Messages, m => m.Text.Contains("FDSTORE", StringComparison.Ordinal));
        Kit.Stop(server);
        notify.WaitForText(Kit.Stopping, Timeout);
    }

    /// <summary>One passed socket shared by two loops (EPOLLEXCLUSIVE): 200 clients at once all get their 200.</summary>
    [Fact]
    public async Task SharedSocketServesManyConcurrentClients()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", new string('c', 20_000)), loops: 2);
        int passed = StaticDProcess.FreePort();
        using var server = Activate(site, passed);
        server.WaitUntilAccepting(passed, Timeout);
        HttpAssert.Status(200, await Kit.GetAsync(passed, "/index.html"));
        server.WaitForStderr("socket activation: serving on the sockets systemd passed", Timeout);

        using var start = new SemaphoreSlim(0);
        Task<int>[] clients = Enumerable.Range(0, 200).Select(async i =>
        {
            using var client = await RawHttpClient.ConnectAsync(passed);
            await start.WaitAsync();
            HttpResponse r = await client.RoundTripAsync(Http.Get($"/index.html?client={i}"));
            return r.Status == 200 && r.Body.Length == 20_000 ? 200 : r.Status;
        }).ToArray();
        start.Release(200);
        int[] statuses = await Task.WhenAll(clients);
        Assert.All(statuses, s => Assert.Equal(200, s));
    }

    /// <summary>Anything but a listening TCP stream socket on fd 3 is refused with exit code 1 and a line naming
    /// the descriptor (and its name from LISTEN_FDNAMES).</summary>
    [Theory]
    [InlineData("file:/etc/hostname", "socket activation: fd 3 (\"web\") is not a listening stream socket")]
    [InlineData("udp", "socket activation: fd 3 (\"web\") is not a listening stream socket")]
    [InlineData("tcp-bound", "socket activation: fd 3 (\"web\") is not a listening stream socket")]
    [InlineData("unix-listen", "socket activation: fd 3 (\"web\") is not a TCP socket")]
    public void RejectsWhatIsNotAListeningTcpSocket(string kind, string message)
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "x"));
        using var server = ServiceProcess.StartPython("systemd_exec.py",
            ["--fd", kind, "--env", "LISTEN_FDS=1", "--env", "LISTEN_FDNAMES=web", "--env-self", "LISTEN_PID", "--", StaticDProcess.BinaryPath, "--config", site.Path]);
        Assert.True(server.WaitForExit(Timeout), "staticd kept running with a bad LISTEN_FDS descriptor\n" + server.Output);
        Assert.True(server.ExitCode == 1, $"exit code {server.ExitCode}\n{server.Output}");
        Assert.Contains(message, server.Stderr, StringComparison.Ordinal);
        Assert.True(Kit.IsRefused(site.Port));
    }

    /// <summary>A regular file at fd 3 without a name: the line says "unknown".</summary>
    [Fact]
    public void RegularFileWithoutNameIsRejected()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "x"));
        using var server = ServiceProcess.StartPython("systemd_exec.py",
            ["--fd", "file:" + site.Path, "--env", "LISTEN_FDS=1", "--env-self", "LISTEN_PID", "--", StaticDProcess.BinaryPath, "--config", site.Path]);
        Assert.True(server.WaitForExit(Timeout), server.Output);
        Assert.Equal(1, server.ExitCode);
        Assert.Contains("socket activation: fd 3 (\"unknown\") is not a listening stream socket", server.Stderr, StringComparison.Ordinal);
    }

    /// <summary>LISTEN_PID of another process: the variables were meant for someone else (sd_listen_fds ignores
    /// them), so staticd binds its configured port and leaves fd 3 alone.</summary>
    [Fact]
    public async Task ListenPidOfAnotherProcessIsIgnored()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "own port"));
        using var server = ServiceProcess.StartPython("systemd_exec.py",
            ["--fd", "file:/etc/hostname", "--env", "LISTEN_FDS=1", "--env", "LISTEN_PID=1", "--", StaticDProcess.BinaryPath, "--config", site.Path]);
        server.WaitUntilAccepting(site.Port, Timeout);
        Assert.Equal("own port", (await Kit.GetAsync(site.Port, "/index.html")).BodyText);
        Assert.DoesNotContain("socket activation", server.Stderr, StringComparison.Ordinal);
    }
}

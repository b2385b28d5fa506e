using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Xunit;

namespace StaticD.IntegrationTests;

/// <summary>
/// <c>staticd serve</c> through the AOT binary: a folder served with no configuration file, its start line and
/// request lines on stdout, Ctrl-C, the loopback-only default, and every error with its exact line and exit code.
/// </summary>
public sealed partial class ServeCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private const int SIGINT = 2;

    private readonly WebRoot _root = new();

    public ServeCommandTests()
    {
        _root.AddFile("index.html", Site.IndexHtml);
        _root.AddFile("files/alpha.txt", "alpha\n");
    }

    public void Dispose() => _root.Dispose();

    /// <summary>Starts <c>staticd serve ARGS</c> in the root and waits for its start line. Through
    /// <c>env --default-signal=INT</c>, so that SIGINT reaches it as it would from a terminal even when the test
    /// runner itself was started in the background with SIGINT ignored (which a child inherits).</summary>
    private ChildProcess Start(int port, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var process = ChildProcess.Start("/usr/bin/env", ["--default-signal=INT", StaticDProcess.BinaryPath, "serve", .. args],
            StaticDProcess.Options(environment, _root.RootPath, Timeout));
        try
        {
            process.WaitForStdout("staticd: serving ", Timeout);
            process.WaitUntilAccepting(port, Timeout);
            return process;
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    private static bool HasLoopbackV6()
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<HttpResponse> GetAsync(int port, string target, IPAddress? address = null)
    {
        using var client = await RawHttpClient.ConnectAsync(port, address: address);
        return await client.RoundTripAsync(Http.Get(target));
    }

    [GeneratedRegex(@"^\d\d:\d\d:\d\d GET /index\.html 200 \d+ B \d+\.\d ms$")]
    private static partial Regex IndexRequestLine();

    [Fact]
    public async Task CurrentDirectory_PrintsUrls_AnswersGet_PrintsRequestLine_CtrlCExits0()
    {
        int port = StaticDProcess.FreePort();
        using var serve = Start(port, null, "--port", port.ToString(CultureInfo.InvariantCulture));

        string urls = HasLoopbackV6() ? $"http://127.0.0.1:{port}/ and http://[::1]:{port}/" : $"http://127.0.0.1:{port}/";
        Assert.Equal($"staticd: serving {_root.RootPath} on {urls} (Ctrl-C to stop)", serve.Stdout.Split('\n')[0]);

        var index = await GetAsync(port, "/index.html");
        Assert.Equal(200, index.Status);
        Assert.Equal(Site.IndexHtml, index.BodyText);
        Assert.Equal(403, (await GetAsync(port, "/files/")).Status); // no listing without --list
        if (HasLoopbackV6()) Assert.Equal(200, (await GetAsync(port, "/index.html", IPAddress.IPv6Loopback)).Status);

        // The start line, then one line per request in the order they were answered.
        serve.WaitForStdout("", Timeout, count: HasLoopbackV6() ? 4 : 3);
        string[] lines = serve.Stdout.Split('\n');
        Assert.Matches(IndexRequestLine(), lines[1]);
        Assert.Matches(@"^\d\d:\d\d:\d\d GET /files/ 403 \d+ B \d+\.\d ms$", lines[2]);

        serve.Signal(SIGINT);
        Assert.True(serve.WaitForExit(Timeout), $"still running after SIGINT\n{serve.Output}");
        Assert.True(serve.ExitCode == 0, $"exit code {serve.ExitCode}\n{serve.Output}");
        Assert.Equal("staticd: stopped", serve.Stdout.Split('\n')[^1]);
        Assert.True(serve.Stderr.Length == 0, $"stderr is not empty\n{serve.Output}");
    }

    [Fact]
    public async Task Spa_AnswersMissingExtensionlessPathsWithIndex()
    {
        int port = StaticDProcess.FreePort();
        using var serve = Start(port, null, _root.RootPath, "--spa", "--port", port.ToString(CultureInfo.InvariantCulture));

        var route = await GetAsync(port, "/app/settings");
        Assert.Equal(200, route.Status);
        Assert.Equal(Site.IndexHtml, route.BodyText);
        Assert.Equal(404, (await GetAsync(port, "/missing.js")).Status);
        serve.WaitForStdout("", Timeout, count: 3);
        Assert.Contains(" GET /app/settings 200 ", serve.Stdout, StringComparison.Ordinal);
        Assert.Contains(" GET /missing.js 404 ", serve.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_ListsDirectoriesWithoutIndex()
    {
        int port = StaticDProcess.FreePort();
        using var serve = Start(port, null, "--list", ".", $"--port={port}");

        var listing = await GetAsync(port, "/files/");
        Assert.Equal(200, listing.Status);
        Assert.Contains("alpha.txt", listing.BodyText, StringComparison.Ordinal);
    }

    /// <summary>By default only loopback listens: the listening sockets on the port are 127.0.0.1 and ::1 (from
    /// /proc/net/tcp*), and a non-loopback address of this host, if it has one, refuses the connection.</summary>
    [Fact]
    public async Task DefaultListen_IsLoopbackOnly()
    {
        int port = StaticDProcess.FreePort();
        using var serve = Start(port, null, "--port", port.ToString(CultureInfo.InvariantCulture));

        string[] listening = ListeningAddresses(port);
        Assert.NotEmpty(listening);
        Assert.All(listening, a => Assert.True(a is "127.0.0.1" or "::1", $"listening on {a}: {string.Join(", ", listening)}"));

        IPAddress[] others = [.. NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses.Select(u => u.Address))
            .Where(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal)];
        foreach (IPAddress address in others)
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            var error = Assert.Throws<SocketException>(() => socket.Connect(new IPEndPoint(address, port)));
            Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        }
        Assert.Equal(200, (await GetAsync(port, "/index.html")).Status);
    }

    /// <summary>The local addresses of sockets in LISTEN state on <paramref name="port"/>.</summary>
    private static string[] ListeningAddresses(int port)
    {
        var result = new List<string>();
        foreach (string file in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists))
        {
            foreach (string line in File.ReadLines(file).Skip(1))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                string[] local = f[1].Split(':');
                if (f[3] != "0A" || int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) != port) continue;
                // The address is in network order within each 32-bit word, each word printed as a host-order integer.
                byte[] bytes = Convert.FromHexString(local[0]);
                for (int i = 0; i < bytes.Length; i += 4) Array.Reverse(bytes, i, 4);
                result.Add(new IPAddress(bytes).ToString());
            }
        }
        return [.. result.Distinct()]; // one socket per event loop
    }

    [Fact]
    public async Task Listen_ReplacesTheDefault()
    {
        int port = StaticDProcess.FreePort();
        using var serve = Start(port, null, "--listen", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture));
        Assert.Equal($"staticd: serving {_root.RootPath} on http://127.0.0.1:{port}/ (Ctrl-C to stop)", serve.Stdout.Split('\n')[0]);
        Assert.Equal(["127.0.0.1"], ListeningAddresses(port));
        Assert.Equal(200, (await GetAsync(port, "/")).Status);
    }

    /// <summary>StaticD__ variables apply, except the keys serve decides: Port, Root and Listen stay the command
    /// line's even when the environment sets them.</summary>
    [Fact]
    public async Task Environment_Applies_ExceptRootPortAndListen()
    {
        int port = StaticDProcess.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["StaticD__Headers__X-Serve-Test"] = "from-env",
            ["StaticD__Port"] = "1",
            ["StaticD__Root"] = "/nonexistent",
            ["StaticD__Listen__0"] = "0.0.0.0",
            ["StaticD__Listen"] = "::",
        };
        using var serve = Start(port, environment, "--listen", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture));

        var r = await GetAsync(port, "/index.html");
        Assert.Equal(200, r.Status);
        Assert.Equal("from-env", r.Header("X-Serve-Test"));
        Assert.Equal(["127.0.0.1"], ListeningAddresses(port));
    }

    public static TheoryData<string[], int, string> Errors() => new()
    {
        { ["serve", "--bogus"], 64, "staticd: serve: unknown option \"--bogus\" (see staticd --help)" },
        { ["serve", "--port"], 64, "staticd: serve: --port needs a value" },
        { ["serve", "{root}", "other"], 64, "staticd: serve: one directory only, got \"{root}\" and \"other\"" },
        { ["serve", "--config", "{base}/x.json"], 64, "staticd: serve reads no configuration file: run either \"staticd serve DIR\" or \"staticd --config PATH\"" },
        { ["serve", "-c", "x.json", "{root}"], 64, "staticd: serve reads no configuration file: run either \"staticd serve DIR\" or \"staticd --config PATH\"" },
        { ["--config", "x.json", "serve"], 64, "staticd: serve reads no configuration file: run either \"staticd serve DIR\" or \"staticd --config PATH\"" },
        { ["-t", "serve"], 64, "staticd: serve must be the first argument: staticd serve [DIR] [options]" },
        { ["serve", "--port", "80a", "{root}"], 78, "staticd: serve: --port: \"80a\" is not allowed; expected an integer from 1 to 65535" },
        { ["serve", "--port=0", "{root}"], 78, "staticd: serve: --port: \"0\" is not allowed; expected an integer from 1 to 65535" },
        { ["serve", "{base}/nope"], 78, "staticd: serve: DIR: \"{base}/nope\" does not exist; expected the path of an existing, readable directory" },
        { ["serve", "{root}/index.html"], 78, "staticd: serve: DIR: \"{root}/index.html\" is a file; expected the path of an existing, readable directory" },
        { ["serve", "--listen", "localhost", "{root}"], 78, "staticd: serve: --listen: \"localhost\" is not an IP address; expected a list of IPv4 or IPv6 addresses such as [\"127.0.0.1\", \"::1\"]" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public async Task Error_OneLineOnStderr_AndItsExitCode(string[] args, int exitCode, string message)
    {
        string Fill(string s) => s.Replace("{root}", _root.RootPath, StringComparison.Ordinal).Replace("{base}", _root.BasePath, StringComparison.Ordinal);
        var r = await StaticDProcess.RunAsync(Timeout, [.. args.Select(Fill)]);

        Assert.False(r.TimedOut, r.ToString());
        Assert.True(r.ExitCode == exitCode, $"expected {exitCode}\n{r}");
        Assert.Equal(Fill(message), r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public async Task BadEnvironmentValue_NamesTheVariable_Exits78()
    {
        var r = await ChildProcess.RunAsync(StaticDProcess.BinaryPath, ["serve", _root.RootPath], Timeout,
            StaticDProcess.Options(new Dictionary<string, string> { ["StaticD__Loops"] = "abc" }, _root.BasePath, Timeout));

        Assert.True(r.ExitCode == 78, r.ToString());
        Assert.Equal("staticd: serve: environment variable StaticD__Loops: \"abc\" is not allowed; expected an integer from 1 to 1024", r.Stderr);
    }

    [Fact]
    public async Task PortInUse_Exits69LikeTheDaemon()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var r = await StaticDProcess.RunAsync(Timeout, "serve", _root.RootPath, "--listen", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture));

        Assert.True(r.ExitCode == 69, r.ToString());
        Assert.Equal($"staticd: cannot listen on 127.0.0.1:{port}: Address already in use (EADDRINUSE)", r.Stderr);
    }

    [Fact]
    public async Task Help_ShowsShortOptions_Serve_AndTheKeyTable()
    {
        var r = await StaticDProcess.RunAsync(Timeout, "--help");

        Assert.True(r.ExitCode == 0, r.ToString());
        string[] lines = r.Stdout.Split('\n');
        Assert.Contains("Usage: staticd [-c PATH | --config PATH] [-t | --check-config]", lines);
        Assert.Contains("       staticd serve [DIR] [--port N] [--listen ADDR]... [--spa] [--list]", lines);
        Assert.Contains(lines, l => l.StartsWith("  -c, --config PATH", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("  -t, --check-config", StringComparison.Ordinal));
        foreach (string option in new[] { "--port N", "--listen ADDR", "--spa", "--list" })
            Assert.Contains(lines, l => l.StartsWith("  " + option + " ", StringComparison.Ordinal));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  Limits:MaxRanges +16 "));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  FileCache +true "));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  AccessLog +true "));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  Sites:\*:Hosts +"));
        Assert.Equal("Details: man staticd", lines[^1]);

        var serveHelp = await StaticDProcess.RunAsync(Timeout, "serve", "--help");
        Assert.True(serveHelp.ExitCode == 0, serveHelp.ToString());
        Assert.Contains("staticd serve [DIR]", serveHelp.Stdout, StringComparison.Ordinal);
    }
}

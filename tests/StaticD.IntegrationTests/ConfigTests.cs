using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace StaticD.IntegrationTests;

/// <summary>
/// Invalid configuration must exit with EX_CONFIG (78) and exactly one stderr line naming the
/// file, the key and the offending value, so an operator can fix it from the journal alone.
/// </summary>
public sealed class ConfigTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);
    private readonly WebRoot _root = new();

    public ConfigTests() => _root.AddFile("index.html", Site.IndexHtml);

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData("Port", "\"abc\"", "abc")]
    [InlineData("Port", "0", "0")]
    [InlineData("Port", "70000", "70000")]
    [InlineData("Port", "-1", "-1")]
    [InlineData("Loops", "0", "0")]
    [InlineData("Loops", "1025", "1025")]
    [InlineData("Listen", "[\"not-an-ip\"]", "not-an-ip")]
    public async Task InvalidValue_Exits78NamingFileKeyAndValue(string key, string json, string value)
    {
        var section = ValidSection();
        section[key] = JsonNode.Parse(json);
        var path = StaticDProcess.WriteConfig(_root, StaticDProcess.ConfigText(section));
        var line = await RunRejected(path);
        Assert.True(line.Contains("StaticD:" + key, StringComparison.Ordinal), $"error line does not name StaticD:{key}: {line}");

        // Short values like "0" would match anywhere (e.g. inside the temp path), so look for
        // the value as a stand-alone token in what remains after removing the path and key.
        var rest = line.Replace(path, "", StringComparison.Ordinal).Replace("StaticD:" + key, "", StringComparison.Ordinal);
        Assert.True(Regex.IsMatch(rest, "(?<![A-Za-z0-9])" + Regex.Escape(value) + "(?![A-Za-z0-9])"), $"error line does not quote the bad value '{value}': {line}");
    }

    [Theory]
    [InlineData("Port")]
    [InlineData("Root")]
    public async Task MissingRequiredKey_Exits78NamingFileAndKey(string key)
    {
        var section = ValidSection();
        section.Remove(key);
        await AssertRejected(StaticDProcess.ConfigText(section), "StaticD:" + key);
    }

    [Fact]
    public async Task RootThatDoesNotExist_Exits78()
    {
        var missing = Path.Combine(_root.BasePath, "no-such-dir");
        var section = ValidSection();
        section["Root"] = missing;
        await AssertRejected(StaticDProcess.ConfigText(section), "StaticD:Root", missing);
    }

    [Fact]
    public async Task RootThatIsAFile_Exits78()
    {
        var file = _root.FullPath("index.html");
        var section = ValidSection();
        section["Root"] = file;
        await AssertRejected(StaticDProcess.ConfigText(section), "StaticD:Root", file);
    }

    [Fact]
    public async Task UnknownKey_Exits78NamingTheKey()
    {
        // A typo must not be silently ignored (the server would run on a default instead).
        var section = ValidSection();
        section["Prot"] = 80;
        await AssertRejected(StaticDProcess.ConfigText(section), "StaticD:Prot");
    }

    [Fact]
    public async Task BrokenJson_Exits78NamingFileAndLine()
    {
        var text = "{\n  \"StaticD\": {\n    \"Port\": 8080,\n    \"Root\": \"/tmp\"\n    oops\n}\n";
        var path = StaticDProcess.WriteConfig(_root, text);
        var line = await RunRejected(path);
        Assert.True(line.Contains("line", StringComparison.OrdinalIgnoreCase), $"message does not locate the error by line: {line}");
    }

    [Fact]
    public async Task MissingConfigFile_Exits78NamingPath()
    {
        var path = Path.Combine(_root.BasePath, "does-not-exist.json");
        await RunRejected(path);
    }

    [Fact]
    public async Task ListenDefault_ServesIPv4AndIPv6Loopback()
    {
        // With no Listen key the server binds every IPv4 and IPv6 address.
        using var server = StaticDProcess.Start(_root, s => s.Remove("Listen"));
        await AssertServes(server.Port, IPAddress.Loopback);
        await AssertServes(server.Port, IPAddress.IPv6Loopback);
    }

    [Fact]
    public async Task Listen_RestrictsAddresses()
    {
        using var server = StaticDProcess.Start(_root, s => s["Listen"] = new JsonArray("::1"), IPAddress.IPv6Loopback);
        await AssertServes(server.Port, IPAddress.IPv6Loopback);
        var e = await Assert.ThrowsAsync<SocketException>(() => RawHttpClient.ConnectAsync(server.Port, address: IPAddress.Loopback));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }

    [Fact]
    public async Task LoopsDefault_Serves()
    {
        using var server = StaticDProcess.Start(_root, s => s.Remove("Loops"));
        await AssertServes(server.Port, IPAddress.Loopback);
    }

    [Fact]
    public async Task ExplicitDefaultsForAllOptionalKeys_AreAccepted()
    {
        // Every documented key with its documented default must be a valid configuration.
        using var server = StaticDProcess.Start(_root, s =>
        {
            s["Loops"] = 1;
            s["ShutdownTimeoutSeconds"] = 10;
            s["Limits"] = new JsonObject
            {
                ["MaxRequestLineBytes"] = 8192,
                ["MaxHeaderBytes"] = 16384,
                ["MaxHeaderCount"] = 100,
                ["HeaderTimeoutSeconds"] = 20,
                ["KeepAliveTimeoutSeconds"] = 60,
                ["SendTimeoutSeconds"] = 60,
                ["MaxConnections"] = 10000,
            };
        });
        await AssertServes(server.Port, IPAddress.Loopback);
    }

    private JsonObject ValidSection() => StaticDProcess.DefaultSection(StaticDProcess.FreePort(), _root.RootPath);

    private async Task AssertRejected(string configText, params string[] mustMention)
    {
        var path = StaticDProcess.WriteConfig(_root, configText);
        var line = await RunRejected(path);
        foreach (var s in mustMention)
        {
            Assert.True(line.Contains(s, StringComparison.Ordinal), $"error line does not mention '{s}': {line}");
        }
    }

    /// <summary>Runs with --config <paramref name="path"/>, asserts exit 78 and one stderr line naming the path; returns that line.</summary>
    private static async Task<string> RunRejected(string path)
    {
        var r = await StaticDProcess.RunAsync(ExitTimeout, "--config", path);
        Assert.False(r.TimedOut, $"staticd kept running with a bad configuration\n{r}");
        Assert.True(r.ExitCode == 78, $"expected EX_CONFIG (78)\n{r}");
        var lines = r.StderrLines.Where(l => !string.IsNullOrWhiteSpace(l)).ToArray();
        Assert.True(lines.Length == 1, $"expected exactly one stderr line, got {lines.Length}\n{r}");
        Assert.True(lines[0].Contains(path, StringComparison.Ordinal), $"error line does not name the config file {path}: {lines[0]}");
        return lines[0];
    }

    private static async Task AssertServes(int port, IPAddress address)
    {
        using var client = await RawHttpClient.ConnectAsync(port, address: address);
        var r = await client.RoundTripAsync(Http.Get("/index.html"));
        HttpAssert.Status(200, r);
        HttpAssert.Body(Site.IndexHtml, r);
    }
}

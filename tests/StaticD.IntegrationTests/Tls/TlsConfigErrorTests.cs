using System.Text.Json.Nodes;
using Xunit;
using static StaticD.IntegrationTests.Sites.SitesKit;
using static StaticD.IntegrationTests.Tls.TlsKit;

namespace StaticD.IntegrationTests.Tls;

/// <summary>
/// Certificate, key and HTTPS settings that cannot work stop staticd with EX_CONFIG (78) and one line on stderr that
/// names the key (and the file); --check-config says the same, and also refuses an expired certificate and warns
/// about one that names none of its site's hosts.
/// </summary>
public sealed class TlsConfigErrorTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);
    private readonly WebRoot _root = new();
    private readonly CertificateFiles _good = TestPki.Shared.Issue(["default.test", "a.test"]);

    public TlsConfigErrorTests()
    {
        _root.AddFile("index.html", "hello");
        SiteDirectory(_root, "a");
    }

    public void Dispose() => _root.Dispose();

    /// <summary>A valid HTTPS configuration (top-level Tls, HttpsPort) that each test breaks one way.</summary>
    private JsonObject Section()
    {
        JsonObject s = StaticDProcess.DefaultSection(StaticDProcess.FreePort(), _root.RootPath);
        s["HttpsPort"] = StaticDProcess.FreePort();
        s["Tls"] = TlsSection(_good);
        return s;
    }

    private static JsonObject SiteA(params (string Key, JsonNode? Value)[] keys) =>
        Site(["a.test"], [("Root", "sites/a"), .. keys]);

    private async Task<ProcessResult> Run(JsonObject section, bool checkOnly, IReadOnlyDictionary<string, string>? environment = null) =>
        (await ConfigRejection.RunAsync(_root, section, checkOnly, environment)).Result;

    /// <summary>Both at start and with --check-config: exit 78, exactly one stderr line, naming the config file,
    /// then ": key: ", and saying every fragment.</summary>
    private async Task RejectedWith(JsonObject section, string key, params string[] fragments)
    {
        foreach (bool checkOnly in (bool[])[false, true])
            await ConfigRejection.OneLineAsync(_root, section, checkOnly, key, StringComparison.Ordinal, fragments);
    }

    [Fact]
    public Task MissingKey()
    {
        JsonObject s = Section();
        s["Tls"]!.AsObject().Remove("Key");
        return RejectedWith(s, "StaticD:Tls:Key", "missing");
    }

    [Fact]
    public Task MissingCertificate_InASite()
    {
        JsonObject s = Section();
        s["Sites"] = List(SiteA(("Tls", new JsonObject { ["Key"] = _good.KeyPath })));
        return RejectedWith(s, "StaticD:Sites:0:Tls:Certificate", "missing");
    }

    [Fact]
    public Task KeyFileThatDoesNotExist()
    {
        JsonObject s = Section();
        string path = Path.Combine(_root.BasePath, "no-such.key");
        s["Tls"]!["Key"] = path;
        return RejectedWith(s, "StaticD:Tls", path, "does not exist");
    }

    [Fact]
    public Task KeyThatIsADirectory_IsUnreadable()
    {
        // Tests run as root, for whom chmod 000 changes nothing; a directory cannot be read as a key by anyone.
        JsonObject s = Section();
        string dir = Path.Combine(_root.BasePath, "key-dir");
        Directory.CreateDirectory(dir);
        s["Tls"]!["Key"] = dir;
        return RejectedWith(s, "StaticD:Tls", $"key {dir} ");
    }

    [Fact]
    public Task KeyOfAnotherCertificate()
    {
        JsonObject s = Section();
        s["Tls"]!["Key"] = TestPki.Shared.Issue(["other.test"]).KeyPath;
        return RejectedWith(s, "StaticD:Tls", "does not match certificate", _good.CertificatePath);
    }

    [Fact]
    public Task SiteKeyOfAnotherCertificate_NamesTheSite()
    {
        JsonObject s = Section();
        CertificateFiles a = TestPki.Shared.Issue(["a.test"]);
        s["Sites"] = List(SiteA(("Tls", new JsonObject { ["Certificate"] = a.CertificatePath, ["Key"] = _good.KeyPath })));
        return RejectedWith(s, "StaticD:Sites:0:Tls", "does not match certificate");
    }

    [Fact]
    public Task CertificateThatIsNotPem()
    {
        JsonObject s = Section();
        string path = Path.Combine(_root.BasePath, "cert.der");
        File.WriteAllBytes(path, TestPki.Shared.Ca.RawData); // DER, not PEM
        s["Tls"]!["Certificate"] = path;
        return RejectedWith(s, "StaticD:Tls", path, "not a PEM certificate");
    }

    [Fact]
    public Task KeyThatIsNotPem()
    {
        JsonObject s = Section();
        string path = Path.Combine(_root.BasePath, "garbage.key");
        File.WriteAllText(path, "this is not a key\n");
        s["Tls"]!["Key"] = path;
        return RejectedWith(s, "StaticD:Tls", path, "not a usable PEM private key");
    }

    [Fact]
    public Task HttpsPortWithoutAnyCertificate()
    {
        JsonObject s = Section();
        s.Remove("Tls");
        return RejectedWith(s, "StaticD:HttpsPort", "HTTPS needs a certificate");
    }

    [Fact]
    public Task HttpsPortSameAsPort()
    {
        JsonObject s = Section();
        s["HttpsPort"] = s["Port"]!.GetValue<int>();
        return RejectedWith(s, "StaticD:HttpsPort", "is also \"Port\"");
    }

    [Fact]
    public Task RedirectHttpWithoutCertificates()
    {
        JsonObject s = Section();
        s.Remove("Tls");
        s.Remove("HttpsPort");
        s["RedirectHttp"] = true;
        return RejectedWith(s, "StaticD:RedirectHttp", "no certificate is configured");
    }

    [Fact]
    public Task SiteRedirectHttpWithoutCertificates()
    {
        JsonObject s = Section();
        s.Remove("Tls");
        s.Remove("HttpsPort");
        s["Sites"] = List(SiteA(("RedirectHttp", true)));
        return RejectedWith(s, "StaticD:Sites:0:RedirectHttp", "no certificate is configured");
    }

    [Theory]
    [InlineData("includeSubDomains")]
    [InlineData("max-age=abc")]
    [InlineData("max-age=")]
    [InlineData("max-age=60\nX-Injected: 1")]
    public Task BadHsts(string value)
    {
        JsonObject s = Section();
        s["Hsts"] = value;
        return RejectedWith(s, "StaticD:Hsts", "is not a Strict-Transport-Security value");
    }

    [Fact]
    public Task KtlsMaybe()
    {
        JsonObject s = Section();
        s["Tls"]!["Ktls"] = "maybe";
        return RejectedWith(s, "StaticD:Tls:Ktls", "\"maybe\" is not allowed", "\"auto\" or \"off\"");
    }

    [Fact]
    public Task KtlsInASite()
    {
        JsonObject s = Section();
        s["Sites"] = List(SiteA(("Tls", new JsonObject { ["Certificate"] = _good.CertificatePath, ["Key"] = _good.KeyPath, ["Ktls"] = "off" })));
        return RejectedWith(s, "StaticD:Sites:0:Tls:Ktls", "is server-wide");
    }

    [Fact]
    public Task UnknownKeyInTls()
    {
        JsonObject s = Section();
        s["Tls"]!["Chain"] = "/etc/ssl/chain.pem";
        return RejectedWith(s, "StaticD:Tls:Chain");
    }

    [Fact]
    public async Task CredentialsDirectoryNamed_ButNotSet_StopsTheServerButOnlyWarnsTheCheck()
    {
        JsonObject s = Section();
        s["Tls"]!["Key"] = "${CREDENTIALS_DIRECTORY}/tls.key";
        ProcessResult start = await Run(s, checkOnly: false);
        Assert.True(start.ExitCode == 78, $"start: expected EX_CONFIG (78)\n{start}");
        string line = Assert.Single(start.StderrLines, l => !string.IsNullOrWhiteSpace(l));
        Assert.Contains(".json: StaticD:Tls:Key: ", line, StringComparison.Ordinal);
        Assert.Contains("LoadCredential=", line, StringComparison.Ordinal);

        // systemd 252 gives ExecReload= (where the unit runs --check-config) no credentials, and a shell has none:
        // the check leaves the key to the server and says so, instead of failing every `systemctl reload`.
        ProcessResult check = await Run(s, checkOnly: true);
        Assert.True(check.ExitCode == 0, $"--check-config: expected 0\n{check}");
        Assert.Contains(check.StderrLines, l => l.Contains("StaticD:Tls: ${CREDENTIALS_DIRECTORY}/tls.key is a systemd credential this check cannot read", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CredentialsDirectorySet_ButAWrongKeyInIt_IsStillAnError()
    {
        // Readable credentials are checked as any file: the leniency is only for what the check cannot see.
        string credentials = Directory.CreateDirectory(Path.Combine(_root.BasePath, "credentials-wrong")).FullName;
        File.WriteAllText(Path.Combine(credentials, "tls.key"), "not a key\n");
        JsonObject s = Section();
        s["Tls"]!["Key"] = "${CREDENTIALS_DIRECTORY}/tls.key";
        ProcessResult r = await Run(s, checkOnly: true, new Dictionary<string, string> { ["CREDENTIALS_DIRECTORY"] = credentials });
        Assert.True(r.ExitCode == 78, r.ToString());
    }

    [Fact]
    public async Task CredentialsDirectory_IsExpanded()
    {
        // What systemd's LoadCredential= gives the service: a directory holding the key, named by the variable.
        string credentials = Directory.CreateDirectory(Path.Combine(_root.BasePath, "credentials")).FullName;
        File.Copy(_good.KeyPath, Path.Combine(credentials, "tls.key"));
        JsonObject s = Section();
        s["Tls"]!["Key"] = "${CREDENTIALS_DIRECTORY}/tls.key";
        ProcessResult r = await Run(s, checkOnly: true, new Dictionary<string, string> { ["CREDENTIALS_DIRECTORY"] = credentials });
        Assert.True(r.ExitCode == 0, r.ToString());

        // And the server serves with it.
        int https = s["HttpsPort"]!.GetValue<int>();
        string path = StaticDProcess.WriteConfig(_root, StaticDProcess.ConfigText(s.DeepClone().AsObject()));
        using ChildProcess server = ChildProcess.Start(StaticDProcess.BinaryPath, ["--config", path],
            StaticDProcess.Options(new Dictionary<string, string> { ["CREDENTIALS_DIRECTORY"] = credentials }, _root.BasePath, ExitTimeout) with { CloseStdin = true });
        server.WaitUntilAccepting(https, ExitTimeout);
        await AssertServes(https, "default.test", _good);
    }

    // ── --check-config only (wired in Program.cs's checkOnly branch: TlsConfig.CertificateErrors / NameWarnings) ──

    [Fact]
    public async Task CheckConfig_ExpiredCertificate_IsAnError()
    {
        CertificateFiles expired = TestPki.Shared.Issue(["default.test"], DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        JsonObject s = Section();
        s["Tls"] = TlsSection(expired);
        ProcessResult r = await Run(s, checkOnly: true);
        Assert.True(r.ExitCode == 78, $"an expired certificate must fail --check-config\n{r}");
        string[] lines = [.. r.StderrLines.Where(l => !string.IsNullOrWhiteSpace(l))];
        Assert.True(lines.Length == 1, string.Join('\n', lines));
        Assert.Contains(": StaticD:Tls: ", lines[0], StringComparison.Ordinal);
        Assert.Contains("expired", lines[0], StringComparison.Ordinal);
        Assert.Contains(expired.CertificatePath, lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckConfig_CertificateNamingNoneOfTheSitesHosts_IsAWarning()
    {
        CertificateFiles elsewhere = TestPki.Shared.Issue(["elsewhere.test"]);
        JsonObject s = Section();
        s["Sites"] = List(SiteA(("Tls", TlsSection(elsewhere))));
        ProcessResult r = await Run(s, checkOnly: true);
        Assert.True(r.ExitCode == 0, $"a name mismatch is a warning, not an error\n{r}");
        string[] lines = [.. r.StderrLines.Where(l => !string.IsNullOrWhiteSpace(l))];
        Assert.True(lines.Length == 1, string.Join('\n', lines));
        Assert.StartsWith("staticd: warning: ", lines[0], StringComparison.Ordinal);
        Assert.Contains("StaticD:Sites:0:Tls", lines[0], StringComparison.Ordinal);
        Assert.Contains("a.test", lines[0], StringComparison.Ordinal);
        Assert.Contains("elsewhere.test", lines[0], StringComparison.Ordinal);
        Assert.Contains("configuration is valid", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckConfig_ValidCertificates_NoWarning()
    {
        JsonObject s = Section();
        s["Sites"] = List(SiteA(("Tls", TlsSection(TestPki.Shared.Issue(["a.test"])))));
        ProcessResult r = await Run(s, checkOnly: true);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(r.StderrLines.All(string.IsNullOrWhiteSpace), r.Stderr);
    }
}

using System.Globalization;
using System.Security.Authentication;
using System.Text.Json.Nodes;
using Xunit;
using static StaticD.IntegrationTests.Tls.TlsKit;

namespace StaticD.IntegrationTests.Tls;

/// <summary>One HTTPS server (certificate for default.test) for the protocol checks, all made with openssl s_client.</summary>
public sealed class TlsProtocolFixture : ServerFixture
{
    private static int _httpsPort;

    public TlsProtocolFixture()
        : base(root => root.AddFile("index.html", "hello"), section =>
        {
            _httpsPort = StaticDProcess.FreePort();
            section["HttpsPort"] = _httpsPort;
            section["Tls"] = TlsSection(TestPki.Shared.Issue(["default.test"]));
        }) => HttpsPort = _httpsPort;

    public int HttpsPort { get; }

    public string Connect => "127.0.0.1:" + HttpsPort.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// What the server agrees to: TLS 1.2 and 1.3 only, forward-secret AEAD suites, no compression, no renegotiation,
/// and sessions that resume (tickets and IDs in TLS 1.2, tickets in TLS 1.3). Each refusal is paired with a control
/// that succeeds with the same client, so a client that cannot connect at all does not pass for a refusal.
/// </summary>
public sealed class TlsProtocolTests(TlsProtocolFixture fixture) : IClassFixture<TlsProtocolFixture>
{
    private int Https => fixture.HttpsPort;

    /// <summary>s_client with stdin at end of file: it shakes hands, prints the summary and leaves.</summary>
    private Task<ProcessResult> Handshake(params string[] args) =>
        OpenSslAsync(["s_client", "-connect", fixture.Connect, "-servername", "default.test", "-CAfile", TestPki.Shared.CaPath, .. args]);

    private static string All(ProcessResult r) => r.Stdout + "\n" + r.Stderr;

    [Theory]
    [InlineData("-tls1_2", "TLSv1.2")]
    [InlineData("-tls1_3", "TLSv1.3")]
    public async Task Tls12And13_AreServed_WithAnAeadSuite(string flag, string version)
    {
        ProcessResult r = await SClientRequestAsync(Https, "default.test", "/index.html", flag);
        string all = All(r);
        Assert.True(all.Contains("Verify return code: 0 (ok)", StringComparison.Ordinal), all);
        Assert.Matches($"New, {version.Replace(".", "\\.")}, Cipher is \\S*(GCM|CHACHA20)", all);
        Assert.Contains("HTTP/1.1 200 OK", all, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-tls1")]
    [InlineData("-tls1_1")]
    public async Task OldProtocols_AreRefusedByTheServer(string flag)
    {
        // SECLEVEL=0 lets this client offer TLS 1.0/1.1 at all; the refusal must be the server's alert.
        ProcessResult r = await Handshake(flag, "-cipher", "DEFAULT:@SECLEVEL=0");
        string all = All(r);
        Assert.True(r.ExitCode != 0, all);
        Assert.Contains("alert protocol version", all, StringComparison.Ordinal);
        Assert.Contains("Cipher is (NONE)", all, StringComparison.Ordinal); // no session came of it
    }

    [Fact]
    public async Task Tls11_FromSslStream_Fails_AndTls12Works()
    {
#pragma warning disable SYSLIB0039 // TLS 1.1 is obsolete: that is the point
        await Assert.ThrowsAnyAsync<Exception>(async () => await TlsClient.ConnectAsync(Https, "default.test", SslProtocols.Tls11));
#pragma warning restore SYSLIB0039
        await using TlsClient ok = await TlsClient.ConnectAsync(Https, "default.test", SslProtocols.Tls12);
        Assert.Equal(SslProtocols.Tls12, ok.Stream.SslProtocol);
        Assert.True(ok.Verified, ok.PolicyErrors.ToString());
    }

    /// <summary>Suites without forward secrecy, CBC suites and worse: the server answers a handshake_failure alert.</summary>
    [Theory]
    [InlineData("AES128-SHA")]
    [InlineData("AES256-GCM-SHA384")] // AEAD, but RSA key transport (no forward secrecy)
    [InlineData("ECDHE-ECDSA-AES128-SHA")] // forward secret, but CBC
    [InlineData("ECDHE-ECDSA-AES256-SHA384")]
    [InlineData("ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0")] // no encryption at all
    public async Task WeakTls12Suites_AreRefusedByTheServer(string cipher)
    {
        ProcessResult r = await Handshake("-tls1_2", "-cipher", cipher);
        string all = All(r);
        Assert.True(r.ExitCode != 0, all);
        Assert.Contains("alert handshake failure", all, StringComparison.Ordinal);
        Assert.Contains("Cipher is (NONE)", all, StringComparison.Ordinal); // no session came of it
    }

    [Fact]
    public async Task Rc4And3Des_CannotBeNegotiated()
    {
        // This client (OpenSSL 3) may not even offer them; either way no session may come of it.
        ProcessResult r = await Handshake("-tls1_2", "-cipher", "RC4:3DES:@SECLEVEL=0");
        string all = All(r);
        Assert.True(r.ExitCode != 0, all);
        Assert.True(all.Contains("no cipher match", StringComparison.Ordinal) || all.Contains("alert handshake failure", StringComparison.Ordinal), all);
    }

    [Fact]
    public async Task AStrongTls12Suite_IsTheControl()
    {
        ProcessResult r = await Handshake("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256");
        Assert.Contains("Cipher is ECDHE-ECDSA-AES128-GCM-SHA256", All(r), StringComparison.Ordinal);
        Assert.Contains("Verify return code: 0 (ok)", All(r), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compression_IsNeverNegotiated_EvenWhenTheClientOffersIt()
    {
        ProcessResult r = await Handshake("-tls1_2", "-comp");
        string all = All(r);
        Assert.Contains("Verify return code: 0 (ok)", all, StringComparison.Ordinal);
        Assert.Contains("Compression: NONE", all, StringComparison.Ordinal);
    }

    /// <summary>A TLS 1.2 client asks to renegotiate (s_client's "R" command): the server refuses with a
    /// no_renegotiation alert, s_client gives up, and the server goes on serving others.</summary>
    [Fact]
    public async Task Renegotiation_IsRefused()
    {
        using ChildProcess client = ChildProcess.Start("/usr/bin/openssl",
            ["s_client", "-connect", fixture.Connect, "-servername", "default.test", "-CAfile", TestPki.Shared.CaPath, "-tls1_2"]);
        client.WaitForStdout("    Verify return code: 0 (ok)", Deadline);
        client.WriteLine("R");
        // A server that renegotiated would keep the session open (stdin still is), and this would time out.
        Assert.True(client.WaitForExit(Deadline), "s_client is still connected after asking to renegotiate\n" + client.Output);
        Assert.Contains("no renegotiation", client.Output, StringComparison.Ordinal);
        HttpResponse r = await HttpsAsync(Https, "default.test", Sites.SitesKit.Get("default.test", "/index.html"));
        HttpAssert.Status(200, r);
    }

    [Theory]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2", "-no_ticket")] // a session ID from the server's cache instead of a ticket
    public async Task SecondConnection_ResumesTheSession(params string[] flags)
    {
        string session = Path.Combine(TestPki.Shared.Directory, $"session-{Guid.NewGuid():N}.pem");
        try
        {
            ProcessResult first = await SClientRequestAsync(Https, "default.test", "/index.html", [.. flags, "-sess_out", session]);
            Assert.Matches("New, TLSv1\\.[23], Cipher is", All(first));
            Assert.Contains("HTTP/1.1 200 OK", All(first), StringComparison.Ordinal);
            Assert.True(File.Exists(session), "s_client saved no session\n" + All(first));

            ProcessResult second = await SClientRequestAsync(Https, "default.test", "/index.html", [.. flags, "-sess_in", session]);
            Assert.Matches("Reused, TLSv1\\.[23], Cipher is", All(second));
            Assert.Contains("HTTP/1.1 200 OK", All(second), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(session);
        }
    }

    /// <summary>HTTP/2 is on by default, so h2 wins when offered; a client that offers only http/1.1 gets it
    /// (Http2 off is covered by the Http2 tests).</summary>
    [Theory]
    [InlineData("h2,http/1.1", "h2")]
    [InlineData("http/1.1,h2", "h2")]
    [InlineData("http/1.1", "http/1.1")]
    public async Task Alpn_PrefersH2_AndAgreesOnHttp11WhenOnlyThatIsOffered(string offered, string agreed)
    {
        ProcessResult r = await Handshake("-alpn", offered);
        Assert.Contains($"ALPN protocol: {agreed}\n", All(r), StringComparison.Ordinal);
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;
using static StaticD.IntegrationTests.Http2.H2Kit;

namespace StaticD.IntegrationTests.Http2;

/// <summary>
/// The HTTP/2 attacks that took down large servers, each against a fresh server with the default limits (only
/// SendTimeoutSeconds shortened, for the stall): Rapid Reset (CVE-2023-44487), CONTINUATION floods (2024), an
/// HPACK bomb, SETTINGS and PING floods, a zero-window stall. Each must end with the server's GOAWAY or reset
/// while a well-behaved HTTP/2 client on another connection is served, and with the server's CPU time bounded.
/// The CPU bounds are loose (a loaded 2-core machine passes) but per frame sent: a server that decodes every
/// bomb or keeps working for a dead peer exceeds them; and the server must be idle once the attacker is gone.
/// </summary>
public sealed class Http2AttackTests : IDisposable
{
    /// <summary>CPU the server may spend on anything an attack costs at all (TLS handshakes, the good client).</summary>
    private static readonly TimeSpan BaseCpu = TimeSpan.FromSeconds(1.5);

    private readonly WebRoot _root = new();
    private readonly StaticDProcess _server;
    private readonly int _https;

    private readonly ITestOutputHelper _output;

    public Http2AttackTests(ITestOutputHelper output)
    {
        _output = output;
        _root.AddFile("index.html", "<!doctype html><title>calm</title>still here\n");
        _root.AddFile("big.bin", ConformanceFixture.TestContent(4 << 20, 5));
        (_server, _https) = Start(_root, ["h2.test"], s => s["Limits"] = new JsonObject { ["SendTimeoutSeconds"] = 2, ["Http2IdleTimeoutSeconds"] = 3 });
    }

    public void Dispose()
    {
        _server.Dispose();
        _root.Dispose();
    }

    private string[] Tls => Target(_https, true, "h2.test");

    [Fact]
    public async Task RapidReset_EndsInEnhanceYourCalm()
    {
        JsonElement r = await Attack("rapid-reset", perFrame: TimeSpan.FromMicroseconds(40), "--count", "100000");
        AssertGoAway(r, "ENHANCE_YOUR_CALM");
        Assert.True(r.GetProperty("sent").GetInt32() < 100000, $"all 100,000 HEADERS+RST_STREAM pairs were taken: {r}");
    }

    [Fact]
    public async Task SettingsFlood_EndsInEnhanceYourCalm()
    {
        JsonElement r = await Attack("settings-flood", perFrame: TimeSpan.FromMicroseconds(20), "--count", "200000");
        AssertGoAway(r, "ENHANCE_YOUR_CALM");
    }

    [Fact]
    public async Task PingFlood_EndsInEnhanceYourCalm()
    {
        JsonElement r = await Attack("ping-flood", perFrame: TimeSpan.FromMicroseconds(20), "--count", "200000");
        AssertGoAway(r, "ENHANCE_YOUR_CALM");
    }

    [Fact]
    public async Task EndlessContinuation_IsCutOff()
    {
        // 16 KiB CONTINUATION frames that never end the block: the server must stop reading it at about
        // MaxHeaderBytes, not buffer 5,000 of them (80 MB).
        JsonElement r = await Attack("continuation-flood", perFrame: TimeSpan.FromMicroseconds(500), "--count", "5000");
        AssertGoAway(r, "ENHANCE_YOUR_CALM", "PROTOCOL_ERROR", "COMPRESSION_ERROR");
        Assert.True(r.GetProperty("sent").GetInt32() < 5000, $"the server took all 5,000 CONTINUATION frames: {r}");
    }

    [Fact]
    public async Task HeaderBlockOverMaxHeaderBytes_IsNotServed()
    {
        // Eight 16 KiB CONTINUATION frames, then END_HEADERS: a complete block far past MaxHeaderBytes.
        JsonElement r = await Attack("continuation-flood", perFrame: TimeSpan.FromMilliseconds(1), "--count", "8", "--finish");
        AssertNotServed(r);
    }

    [Fact]
    public async Task HpackBomb_OneRequest_Gets431()
    {
        // One 4 KB entry in the dynamic table, then one request referencing it 4,000 times: 7 KB on the wire that
        // decode to 16 MB, far past Http2MaxHeaderListBytes (= MaxHeaderBytes). The connection stays usable.
        JsonElement r = await Attack("hpack-bomb", perFrame: TimeSpan.FromMilliseconds(1), "--count", "1", "--refs", "4000", "--drain", "1");
        JsonElement statuses = r.GetProperty("statuses");
        Assert.True(statuses.TryGetProperty("431", out JsonElement n) && n.GetInt32() == 1, $"the bomb was not answered 431: {r}");
        Assert.True(statuses.TryGetProperty("200", out JsonElement ok) && ok.GetInt32() == 1, $"the request that filled the table (4 KB) was not served: {r}");
        Assert.True(r.GetProperty("goaway").ValueKind == JsonValueKind.Null && !r.GetProperty("closed").GetBoolean(), r.ToString());
    }

    [Fact]
    public async Task HpackBombFlood_EndsInGoAway()
    {
        // 2,000 such requests without waiting: each must cost little (the bound is 1 ms of server CPU per 16 MB
        // bomb), and the flood must end in GOAWAY (the reset budget, or the stream limit it breaks).
        JsonElement r = await Attack("hpack-bomb", perFrame: TimeSpan.FromMilliseconds(1), "--count", "2000", "--refs", "4000");
        AssertNotServed(r, allowed: 1); // stream 1 (the insertion, one 4 KB field) is a legitimate request
        AssertGoAway(r, "ENHANCE_YOUR_CALM", "PROTOCOL_ERROR", "COMPRESSION_ERROR");
    }

    [Fact]
    public async Task ZeroWindowStall_IsResetAfterSendTimeout_ThenTheIdleConnectionCloses()
    {
        // Stream window 0, never updated: with SendTimeoutSeconds = 2 the stream must be reset (or the connection
        // closed) well within 15 s, not held forever; the connection, left without streams, then goes after
        // Http2IdleTimeoutSeconds (3 s): nothing of it is kept for a client that never reads.
        JsonElement r = await Attack("zero-window", perFrame: TimeSpan.Zero, "--path", "/big.bin", "--deadline", "15", "--drain", "15");
        bool reset = r.GetProperty("resets").EnumerateObject().Any();
        bool gone = r.GetProperty("goaway").ValueKind == JsonValueKind.Object || r.GetProperty("closed").GetBoolean();
        Assert.True(reset || gone, $"the stalled stream was still open after 15 s: {r}");
        Assert.True(r.GetProperty("seconds").GetDouble() >= 1.5, $"reset before SendTimeoutSeconds (2 s) passed: {r}");
        Assert.True(r.GetProperty("closed_after").ValueKind == JsonValueKind.Number, $"the connection was still open 15 s after the reset: {r}");
    }

    /// <summary>Runs the attack while a well-behaved HTTP/2 client asks for a page on another connection (and again
    /// after); both answers must be 200. Returns the attacker's report, the CPU bound checked.</summary>
    private async Task<JsonElement> Attack(string command, TimeSpan perFrame, params string[] args)
    {
        TimeSpan cpuBefore = CpuTime(_server.Pid);
        Task<JsonElement> attack = RunAsync(command, Tls, ["--path", "/index.html", .. args]);
        H2Response during = await GetAsync(Tls, "/index.html");
        JsonElement report = await attack;
        TimeSpan cpu = CpuTime(_server.Pid) - cpuBefore;
        Assert.True(during.Status == 200, $"the well-behaved client was not served during the attack: {during}\nattack: {report}");

        H2Response after = await GetAsync(Tls, "/index.html");
        Assert.True(after.Status == 200, $"the well-behaved client was not served after the attack: {after}");

        int sent = report.TryGetProperty("sent", out JsonElement s) ? s.GetInt32() : 1;
        TimeSpan bound = BaseCpu + perFrame * sent;
        _output.WriteLine($"{command}: {sent} sent, server CPU {cpu.TotalMilliseconds} ms (bound {bound.TotalMilliseconds} ms): {report}");
        Assert.True(cpu < bound, $"the server spent {cpu.TotalMilliseconds} ms of CPU on {sent} attack frames (bound {bound.TotalMilliseconds} ms): {report}");

        // Once the attacker is gone the server must be idle: no loop left spinning on what the attack left behind.
        TimeSpan idleBefore = CpuTime(_server.Pid);
        await Task.Delay(1000);
        TimeSpan idle = CpuTime(_server.Pid) - idleBefore;
        Assert.True(idle < TimeSpan.FromMilliseconds(300), $"the server used {idle.TotalMilliseconds} ms of CPU in the second after the attack");
        return report;
    }

    private static void AssertGoAway(JsonElement r, params string[] codes)
    {
        JsonElement goaway = r.GetProperty("goaway");
        Assert.True(goaway.ValueKind == JsonValueKind.Object, $"no GOAWAY: {r}");
        string code = goaway.GetProperty("code").GetString()!;
        Assert.True(codes.Contains(code), $"GOAWAY {code}, expected {string.Join(" or ", codes)}: {r}");
        Assert.True(r.GetProperty("closed").GetBoolean(), $"the connection stayed open after GOAWAY {code}: {r}");
    }

    /// <summary>No 2xx for the bad request(s): refused with a status (431), a reset, or a GOAWAY.</summary>
    private static void AssertNotServed(JsonElement r, int allowed = 0)
    {
        int ok = r.GetProperty("statuses").EnumerateObject().Where(p => p.Name.StartsWith('2')).Sum(p => p.Value.GetInt32());
        Assert.True(ok <= allowed, $"an oversized header block was served: {r}");
        bool refused = r.GetProperty("statuses").EnumerateObject().Any(p => p.Name.StartsWith('4'))
            || r.GetProperty("resets").EnumerateObject().Any() || r.GetProperty("goaway").ValueKind == JsonValueKind.Object;
        Assert.True(refused, $"the oversized header block got no answer at all: {r}");
    }
}

using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace StaticD.IntegrationTests.Sites;

/// <summary>Request builders, configuration pieces and waits the tests of StaticD:Sites share.</summary>
internal static class SitesKit
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    /// <summary>A request with the given Host (null: no Host field at all); nothing is normalised.</summary>
    public static string Request(string method, string target, string? host, string version = "HTTP/1.1", params string[] headers)
    {
        var sb = new StringBuilder();
        sb.Append(method).Append(' ').Append(target).Append(' ').Append(version).Append("\r\n");
        if (host is not null) sb.Append("Host: ").Append(host).Append("\r\n");
        foreach (string h in headers) sb.Append(h).Append("\r\n");
        return sb.Append("\r\n").ToString();
    }

    public static string Get(string host, string target, params string[] headers) => Request("GET", target, host, "HTTP/1.1", headers);

    /// <summary>One request on a fresh connection.</summary>
    public static async Task<HttpResponse> SendAsync(int port, string raw, bool isHead = false)
    {
        using RawHttpClient client = await RawHttpClient.ConnectAsync(port);
        return await client.RoundTripAsync(raw, isHead);
    }

    public static Task<HttpResponse> GetAsync(int port, string host, string target, params string[] headers) =>
        SendAsync(port, Get(host, target, headers));

    /// <summary>GET <paramref name="target"/> with <paramref name="host"/> must be 200 with exactly <paramref name="body"/>.</summary>
    public static async Task AssertServes(int port, string host, string target, string body)
    {
        HttpResponse r = await GetAsync(port, host, target);
        Assert.True(r.Status == 200 && r.BodyText == body,
            $"GET {target} with Host: {host}: expected 200 \"{body}\", got {r.Status} \"{r.BodyText}\"\n{r.RawHead}");
        HttpAssert.Status(200, r);
    }

    /// <summary>A site entry of StaticD:Sites: its Hosts, then any other keys.</summary>
    public static JsonObject Site(string[] hosts, params (string Key, JsonNode? Value)[] keys)
    {
        var site = new JsonObject { ["Hosts"] = new JsonArray(hosts.Select(h => (JsonNode?)JsonValue.Create(h)).ToArray()) };
        foreach ((string key, JsonNode? value) in keys) site[key] = value;
        return site;
    }

    public static JsonArray List(params JsonNode?[] items) => new(items);

    /// <summary>A directory beside the default root (inside <see cref="WebRoot.BasePath"/>, so never served by it)
    /// holding <c>who.txt</c> = <paramref name="name"/>; returns its path relative to the config file.</summary>
    public static string SiteDirectory(WebRoot root, string name)
    {
        string relative = Path.Combine("sites", name);
        root.AddOutsideFile(Path.Combine(relative, "who.txt"), name);
        return relative;
    }

    /// <summary>Polls <paramref name="condition"/> every 10 ms until it holds or <see cref="Deadline"/> passes.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > Deadline) Assert.Fail($"not within {Deadline.TotalSeconds} s: {describe()}");
            await Task.Delay(10);
        }
    }
}

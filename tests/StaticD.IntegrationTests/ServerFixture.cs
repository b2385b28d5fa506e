using System.Net;
using System.Text.Json.Nodes;

namespace StaticD.IntegrationTests;

/// <summary>
/// One staticd process serving one <see cref="WebRoot"/>, shared by all tests of a class
/// (xUnit creates one fixture instance per class that declares IClassFixture).
/// </summary>
public abstract class ServerFixture : IDisposable
{
    protected ServerFixture(Action<WebRoot> populate, Action<JsonObject>? configure = null)
    {
        Root = new WebRoot();
        try
        {
            populate(Root);
            Server = StaticDProcess.Start(Root, configure);
        }
        catch
        {
            Root.Dispose();
            throw;
        }
    }

    public WebRoot Root { get; }

    public StaticDProcess Server { get; }

    public int Port => Server.Port;

    public Task<RawHttpClient> ConnectAsync(int? receiveBufferSize = null, IPAddress? address = null) =>
        RawHttpClient.ConnectAsync(Port, receiveBufferSize, address);

    /// <summary>Sends one raw request on a fresh connection and reads one response.</summary>
    public async Task<HttpResponse> SendAsync(string rawRequest, bool isHead = false)
    {
        using var client = await ConnectAsync();
        return await client.RoundTripAsync(rawRequest, isHead);
    }

    public Task<HttpResponse> GetAsync(string target) => SendAsync(Http.Get(target));

    /// <summary>
    /// Sends <paramref name="request"/> and then a GET of <paramref name="probeTarget"/> on the same
    /// connection. If the first response carried body bytes it did not announce (a 304 with a body,
    /// a HEAD with a body, a Content-Length that lies) the probe response is misparsed and this fails.
    /// </summary>
    public async Task<HttpResponse> RoundTripThenProbeAsync(string request, string probeTarget, bool isHead = false)
    {
        using var client = await ConnectAsync();
        await client.SendAsync(request + Http.Get(probeTarget));
        var response = await client.ReadResponseAsync(isHead);
        HttpResponse probe;
        try
        {
            probe = await client.ReadResponseAsync();
        }
        catch (Exception e) when (e is FormatException or IOException or TimeoutException)
        {
            throw new Xunit.Sdk.XunitException(
                $"the response was not framed correctly: the next response on the connection could not be read ({e.Message})\n{response}");
        }

        Xunit.Assert.True(probe.Status == 200, $"probe GET {probeTarget} after the response: expected 200, got {probe.Status}\nfirst response:\n{response}\nprobe:\n{probe}");
        HttpAssert.BodyBytes(File.ReadAllBytes(Root.FullPath(probeTarget)), probe, $"probe body of {probeTarget}");
        return response;
    }

    public void Dispose()
    {
        Server.Dispose();
        Root.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The general-purpose site (<see cref="Site"/>) with the default test configuration.</summary>
public sealed class SiteFixture() : ServerFixture(Site.Populate);

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

    public void Dispose()
    {
        Server.Dispose();
        Root.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The general-purpose site (<see cref="Site"/>) with the default test configuration.</summary>
public sealed class SiteFixture() : ServerFixture(Site.Populate);

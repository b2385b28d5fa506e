using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using StaticD.Interop;
using StaticD.Net;

namespace StaticD.Hosting;

/// <summary>Where GET /metrics is served: an IP address and port (<see cref="EndPoint"/>), or a unix socket at
/// <see cref="UnixPath"/>. Records compare by value, so a reload can tell whether it changed.</summary>
internal sealed record MetricsAddress(IPEndPoint? EndPoint, string? UnixPath)
{
    public const string UnixPrefix = "unix:";

    /// <summary>As the configuration writes it: "127.0.0.1:9113", "[::1]:9113" or "unix:/run/staticd/metrics.sock".</summary>
    public override string ToString() => UnixPath is not null ? UnixPrefix + UnixPath : ListenException.Format(EndPoint!);

    /// <summary>For the log: the URL to scrape, or the socket.</summary>
    public string Describe() => UnixPath is not null ? ToString() : $"http://{this}/metrics";
}

/// <summary>Reads <c>StaticD:Metrics</c>: the address and port, or the unix socket, of the metrics listener.</summary>
internal static class MetricsConfig
{
    internal static readonly string[] Keys = ["Listen"];

    private const string Allowed =
        "expected an address and port such as \"127.0.0.1:9113\" or \"[::1]:9113\", or a unix socket such as \"unix:/run/staticd/metrics.sock\"";

    public static MetricsAddress? Load(IConfigurationSection section)
    {
        if (!section.Exists()) return null;
        if (section.Value is not null)
            throw new ConfigException(section.Path, $"\"{section.Value}\" is not allowed; expected an object such as {{ \"Listen\": \"127.0.0.1:9113\" }}");
        ServerOptions.RejectUnknownKeys(section, Keys);
        IConfigurationSection listen = section.GetSection("Listen");
        if (listen.Value is null)
            throw new ConfigException(listen.Path, listen.GetChildren().Any() ? $"is a list or object; {Allowed}" : $"missing; {Allowed}");
        string text = listen.Value.Trim();
        if (text.StartsWith(MetricsAddress.UnixPrefix, StringComparison.Ordinal))
            return new MetricsAddress(null, UnixPath(listen, text[MetricsAddress.UnixPrefix.Length..]));
        int colon = text.LastIndexOf(':');
        bool bracketed = text.StartsWith('[');
        // The port is required; an IPv6 address needs brackets so that its last group is not taken for one.
        if (colon <= 0 || (bracketed ? text[colon - 1] != ']' : text.IndexOf(':') != colon) ||
            !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535 ||
            !IPAddress.TryParse(bracketed ? text[1..(colon - 1)] : text[..colon], out IPAddress? address) ||
            address.AddressFamily != (bracketed ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork))
            throw new ConfigException(listen.Path, $"\"{listen.Value}\" is not allowed; {Allowed}");
        return new MetricsAddress(new IPEndPoint(address, port), null);
    }

    /// <summary>An absolute path that fits a sockaddr_un. Whether its directory exists is checked when binding:
    /// under the packaged unit it is /run/staticd (RuntimeDirectory=), which exists only while the service runs,
    /// and <c>--check-config</c> must pass while it is stopped.</summary>
    private static string UnixPath(IConfigurationSection listen, string path)
    {
        const string Expected = "expected an absolute path after \"unix:\", such as \"unix:/run/staticd/metrics.sock\"";
        if (!path.StartsWith('/') || path.EndsWith('/') || path.Contains('\0', StringComparison.Ordinal))
            throw new ConfigException(listen.Path, $"\"{listen.Value}\" is not allowed; {Expected}");
        int bytes = System.Text.Encoding.UTF8.GetByteCount(path);
        if (bytes > SockAddr.UnixPathMax)
            throw new ConfigException(listen.Path,
                $"\"{listen.Value}\" is not allowed: the path is {bytes} bytes and a unix socket's path holds at most {SockAddr.UnixPathMax}");
        return path;
    }
}

using StaticD.Interop;

namespace StaticD.Logging;

/// <summary>
/// One finished request as an access log line is made of it: views into the connection's buffers (valid only
/// during the call that takes the record) and the numbers. Nothing here is copied until a line is written.
/// </summary>
internal ref struct AccessRecord
{
    /// <summary>The request head was parsed: method, target and version are known. A request rejected before
    /// that (400, 414, 431) is logged with "-" as its request line.</summary>
    public bool HeadParsed;
    public ReadOnlySpan<byte> Method, Target;
    /// <summary>The x in HTTP/1.x.</summary>
    public byte VersionMinor;
    /// <summary>The request came over HTTP/2 (then <see cref="VersionMinor"/> says nothing).</summary>
    public bool Http2;
    /// <summary>Present (possibly empty) or absent (logged as "-").</summary>
    public bool HasReferer, HasUserAgent;
    public ReadOnlySpan<byte> Referer, UserAgent;
    /// <summary>The normalised host the request named (empty when none).</summary>
    public ReadOnlySpan<byte> Host;
    /// <summary>The answering site's log name ("_" for the default site; empty when no site answered).</summary>
    public ReadOnlySpan<byte> SiteName;
    /// <summary>The port the connection was accepted on (the vhost prefix's ":port").</summary>
    public int LocalPort;
    public int Status;
    /// <summary>Every byte sent (head and body), and the body's share (nginx's $body_bytes_sent).</summary>
    public long Bytes, BodyBytes;
    public long DurationUsec;
    public SockAddrStorage Client;

    /// <summary>Caps what one line may cost, as the journal entry does: a 16 KiB user agent is not worth logging
    /// whole, and a bounded line always fits an empty chunk (<see cref="AccessLineFormat.MaxLine"/>).</summary>
    public void Truncate()
    {
        Method = Method[..Math.Min(Method.Length, 32)];
        Target = Target[..Math.Min(Target.Length, 4096)];
        UserAgent = UserAgent[..Math.Min(UserAgent.Length, 512)];
        Referer = Referer[..Math.Min(Referer.Length, 1024)];
        Host = Host[..Math.Min(Host.Length, 256)];
        SiteName = SiteName[..Math.Min(SiteName.Length, 256)];
    }
}

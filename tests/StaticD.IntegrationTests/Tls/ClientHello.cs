using System.Net.Security;
using System.Security.Authentication;

namespace StaticD.IntegrationTests.Tls;

/// <summary>
/// A real ClientHello as bytes: what .NET's SslStream (the system OpenSSL underneath) sends first, captured by a
/// stream that records the write and fails the read. Replayed on raw sockets it makes the server do a full
/// handshake's work (key share, signature) for a client that will never finish.
/// </summary>
public static class ClientHello
{
    private static readonly Lazy<byte[]> Captured = new(() => Capture("default.test"));

    /// <summary>The ClientHello record for SNI default.test (TLS 1.2 and 1.3 offered).</summary>
    public static byte[] Bytes => Captured.Value;

    public static byte[] Capture(string serverName, SslProtocols protocols = SslProtocols.None)
    {
        var capture = new CaptureStream();
        using var ssl = new SslStream(capture, leaveInnerStreamOpen: true);
        try
        {
            ssl.AuthenticateAsClient(new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                EnabledSslProtocols = protocols,
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
        }
        catch (Exception e) when (e is IOException or AuthenticationException)
        {
        }

        byte[] hello = capture.Written.ToArray();
        if (hello.Length < 50 || hello[0] != 0x16) throw new InvalidOperationException($"no ClientHello captured ({hello.Length} bytes)");
        return hello;
    }

    private sealed class CaptureStream : Stream
    {
        public MemoryStream Written { get; } = new();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("captured");
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
    }
}

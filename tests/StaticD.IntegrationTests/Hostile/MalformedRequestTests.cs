using System.Text.Json.Nodes;
using Xunit;

namespace StaticD.IntegrationTests.Hostile;

public sealed class MalformedFixture() : ServerFixture(
    root =>
    {
        root.AddFile("index.html", HostileSupport.IndexHtml);
        root.AddFile("secret.txt", "SMUGGLED");
        root.AddOutsideFile("passwd", "root:x:0:0");
    },
    section => section["Limits"] = new JsonObject { ["HeaderTimeoutSeconds"] = 3 });

/// <summary>
/// A table of malformed and smuggling requests against the AOT binary, each with the exact outcome:
/// the status of the one response (or none), whether the server must close the connection, and — on
/// every connection that closes — that nothing else is answered before the close (a smuggled second
/// request hidden in a body must never get its own response).
/// </summary>
public sealed class MalformedRequestTests(MalformedFixture site) : IClassFixture<MalformedFixture>
{
    /// <summary>No response at all: the server must just close.</summary>
    private const int NoResponse = 0;

    private const string H = "Host: h\r\n";
    private const string Smuggled = "GET /secret.txt HTTP/1.1\r\nHost: h\r\n\r\n";

    public static TheoryData<string, string, int, bool> Cases()
    {
        var d = new TheoryData<string, string, int, bool>();
        void Add(string name, string request, int status, bool close) => d.Add(name, request, status, close);

        // ── sanity rows: the same server answers well-formed variants normally ──
        Add("plain GET", "GET /index.html HTTP/1.1\r\n" + H + "\r\n", 200, false);
        Add("HEAD", "HEAD /index.html HTTP/1.1\r\n" + H + "\r\n", 200, false);
        Add("HTTP/1.0 without Host", "GET /index.html HTTP/1.0\r\n\r\n", 200, true);
        Add("HTTP/1.0 keep-alive", "GET /index.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200, false);
        Add("HTTP/1.1 Connection: close", "GET /index.html HTTP/1.1\r\n" + H + "Connection: close\r\n\r\n", 200, true);
        Add("HTAB as OWS", "GET /index.html HTTP/1.1\r\nHost:\th\t\r\nX-A:\t v \t\r\n\r\n", 200, false);
        Add("empty field value", "GET /index.html HTTP/1.1\r\n" + H + "X-Empty:\r\n\r\n", 200, false);
        Add("obs-text in a value", "GET /index.html HTTP/1.1\r\n" + H + "X-A: caf\xE9\r\n\r\n", 200, false);
        Add("Content-Length: 0 on GET", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: 0\r\n\r\n", 200, false);
        Add("Content-Length with OWS", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length:  0 \r\n\r\n", 200, false);
        Add("HTTP/1.2 is HTTP/1.x", "GET /index.html HTTP/1.2\r\n" + H + "\r\n", 200, false);
        Add("one leading empty line", "\r\nGET /index.html HTTP/1.1\r\n" + H + "\r\n", 200, false);
        Add("leading empty lines within the limit", string.Concat(Enumerable.Repeat("\r\n", 100)) + "GET /index.html HTTP/1.1\r\n" + H + "\r\n", 200, false);
        Add("100 fields (Host + 99)", "GET /index.html HTTP/1.1\r\n" + H + Fields(99) + "\r\n", 200, false);
        Add("case-insensitive field names", "GET /index.html HTTP/1.1\r\nhOsT: h\r\ncontent-LENGTH: 0\r\n\r\n", 200, false);
        Add("request line exactly at 8192", "GET /index.html?" + new string('q', 8192 - "GET /index.html? HTTP/1.1\r\n".Length) + " HTTP/1.1\r\n" + H + "\r\n", 200, false);

        // ── line endings ──
        Add("bare LF everywhere", "GET /index.html HTTP/1.1\n" + "Host: h\n\n", 400, true);
        Add("bare LF after the request line", "GET /index.html HTTP/1.1\nHost: h\r\n\r\n", 400, true);
        Add("bare LF ending a field", "GET /index.html HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400, true);
        Add("bare LF ending the head", "GET /index.html HTTP/1.1\r\nHost: h\r\n\n", 400, true);
        Add("bare LF leading line", "\nGET /index.html HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("bare CR in the request line", "GET /index.html\rHTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("bare CR ending the request line", "GET /index.html HTTP/1.1\rHost: h\r\n\r\n", 400, true);
        Add("bare CR inside a value", "GET /index.html HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400, true);
        Add("bare CR ending a field", "GET /index.html HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400, true);
        Add("bare CR leading line", "\rGET /index.html HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("CR CR LF", "GET /index.html HTTP/1.1\r\r\n" + H + "\r\n", 400, true);
        Add("head ends in CR CR", "GET /index.html HTTP/1.1\r\n" + H + "\r\r\n", 400, true);

        // ── field syntax ──
        Add("obs-fold (SP)", "GET /index.html HTTP/1.1\r\n" + H + "X-A: a\r\n b\r\n\r\n", 400, true);
        Add("obs-fold (HTAB)", "GET /index.html HTTP/1.1\r\n" + H + "X-A: a\r\n\tb\r\n\r\n", 400, true);
        Add("whitespace before the first field", "GET /index.html HTTP/1.1\r\n " + H + "\r\n", 400, true);
        Add("SP before colon", "GET /index.html HTTP/1.1\r\nHost : h\r\n\r\n", 400, true);
        Add("HTAB before colon", "GET /index.html HTTP/1.1\r\nHost\t: h\r\n\r\n", 400, true);
        Add("Transfer-Encoding SP before colon", "GET /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400, true);
        Add("Content-Length SP before colon", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length : 5\r\n\r\nhello", 400, true);
        Add("space in field name", "GET /index.html HTTP/1.1\r\n" + H + "Bad Name: x\r\n\r\n", 400, true);
        Add("empty field name", "GET /index.html HTTP/1.1\r\n" + H + ": x\r\n\r\n", 400, true);
        Add("field without colon", "GET /index.html HTTP/1.1\r\n" + H + "NoColon\r\n\r\n", 400, true);
        Add("non-token byte in name (@)", "GET /index.html HTTP/1.1\r\n" + H + "X@Y: 1\r\n\r\n", 400, true);
        Add("non-ASCII in name", "GET /index.html HTTP/1.1\r\n" + H + "X-\xE9: 1\r\n\r\n", 400, true);
        Add("NUL in name", "GET /index.html HTTP/1.1\r\n" + H + "X-\0A: 1\r\n\r\n", 400, true);
        Add("NUL in value", "GET /index.html HTTP/1.1\r\n" + H + "X-A: a\0b\r\n\r\n", 400, true);
        Add("NUL in Host", "GET /index.html HTTP/1.1\r\nHost: h\0.evil\r\n\r\n", 400, true);
        Add("\\x01 in value", "GET /index.html HTTP/1.1\r\n" + H + "X-A: a\u0001b\r\n\r\n", 400, true);
        Add("\\x1F in value", "GET /index.html HTTP/1.1\r\n" + H + "X-A: a\u001Fb\r\n\r\n", 400, true);
        Add("DEL in value", "GET /index.html HTTP/1.1\r\n" + H + "X-A: a\u007Fb\r\n\r\n", 400, true);
        Add("VT in value", "GET /index.html HTTP/1.1\r\n" + H + "X-A: a\vb\r\n\r\n", 400, true);
        Add("FF in value", "GET /index.html HTTP/1.1\r\n" + H + "X-A: a\fb\r\n\r\n", 400, true);
        Add("ESC in value", "GET /index.html HTTP/1.1\r\n" + H + "X-A: \x1B[31m\r\n\r\n", 400, true);
        Add("control byte in name", "GET /index.html HTTP/1.1\r\n" + H + "X\x01: 1\r\n\r\n", 400, true);

        // ── Host ──
        Add("HTTP/1.1 without Host", "GET /index.html HTTP/1.1\r\n\r\n", 400, true);
        Add("two Host fields", "GET /index.html HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, true);
        Add("empty Host", "GET /index.html HTTP/1.1\r\nHost:\r\n\r\n", 400, true);
        Add("Host with a space", "GET /index.html HTTP/1.1\r\nHost: a b\r\n\r\n", 400, true);
        Add("Host with a path", "GET /index.html HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, true);
        Add("Host with userinfo", "GET /index.html HTTP/1.1\r\nHost: user@h\r\n\r\n", 400, true);
        Add("Host with a bad port", "GET /index.html HTTP/1.1\r\nHost: h:80x\r\n\r\n", 400, true);
        Add("Host with a bad IPv6 literal", "GET /index.html HTTP/1.1\r\nHost: [::g]\r\n\r\n", 400, true);
        Add("two Range fields", "GET /index.html HTTP/1.1\r\n" + H + "Range: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n", 400, true);
        Add("bad Connection token", "GET /index.html HTTP/1.1\r\n" + H + "Connection: clo se\r\n\r\n", 400, true);

        // ── Content-Length ──
        Add("duplicate Content-Length (same)", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: 0\r\nContent-Length: 0\r\n\r\n", 400, true);
        Add("duplicate Content-Length (different)", "POST /index.html HTTP/1.1\r\n" + H + "Content-Length: 5\r\nContent-Length: 38\r\n\r\nhello" + Smuggled, 400, true);
        Add("Content-Length list", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: 0, 0\r\n\r\n", 400, true);
        Add("Content-Length +5", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: +5\r\n\r\nhello", 400, true);
        Add("Content-Length -1", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: -1\r\n\r\n", 400, true);
        Add("Content-Length hex", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: 0x5\r\n\r\nhello", 400, true);
        Add("Content-Length inner space", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: 1 0\r\n\r\n", 400, true);
        Add("Content-Length exponent", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: 1e2\r\n\r\n", 400, true);
        Add("Content-Length decimal", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: 5.0\r\n\r\nhello", 400, true);
        Add("Content-Length empty", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length:\r\n\r\n", 400, true);
        Add("Content-Length overflow", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: 99999999999999999999\r\n\r\n", 400, true);
        Add("Content-Length non-ASCII digit", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: \xB9\r\n\r\n", 400, true);

        // ── Transfer-Encoding ──
        Add("TE chunked on HTTP/1.0", "POST /index.html HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, true);
        Add("TE chunked on HTTP/1.0 GET", "GET /index.html HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, true);
        Add("TE gzip (not chunked)", "POST /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip\r\n\r\n", 400, true);
        Add("TE chunked, gzip (chunked not final)", "POST /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400, true);
        Add("TE chunked, chunked", "POST /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400, true);
        Add("TE chunked twice (two lines)", "POST /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, true);
        Add("TE identity", "GET /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding: identity\r\n\r\n", 400, true);
        Add("TE empty", "GET /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding:\r\n\r\n", 400, true);
        Add("TE xchunked", "POST /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400, true);
        Add("TE chunked with a parameter", "POST /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400, true);
        Add("TE quoted chunked", "POST /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n", 400, true);
        Add("TE VT before chunked", "POST /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding: \vchunked\r\n\r\n0\r\n\r\n", 400, true);
        Add("TE chunked then a line with x", "POST /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n", 400, true);
        Add("TE obs-folded chunked", "POST /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400, true);
        Add("TE name with a trailing byte", "POST /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding\x0B: chunked\r\n\r\n0\r\n\r\n", 400, true);

        // ── smuggling classics: the hidden GET /secret.txt must never be answered ──
        Add("CL.TE", "POST /index.html HTTP/1.1\r\n" + H + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + Smuggled, 400, true);
        Add("TE.CL", "POST /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n" + Smuggled + "\r\n0\r\n\r\n", 400, true);
        Add("CL.TE on GET", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + Smuggled, 400, true);
        Add("TE.TE (chunked + cow)", "POST /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nTransfer-Encoding: cow\r\n\r\n0\r\n\r\n" + Smuggled, 400, true);
        Add("TE.TE (xchunked + CL)", "POST /index.html HTTP/1.1\r\n" + H + "Content-Length: 4\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + Smuggled, 400, true);
        Add("TE.TE (space before colon + CL)", "POST /index.html HTTP/1.1\r\n" + H + "Content-Length: 4\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n" + Smuggled, 400, true);
        Add("TE.TE (tab-prefixed value)", "POST /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding:\tchunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n" + Smuggled, 400, true);
        Add("TE.TE (obs-fold + CL)", "POST /index.html HTTP/1.1\r\n" + H + "Content-Length: 4\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n" + Smuggled, 400, true);
        Add("TE.TE (mixed case + CL)", "POST /index.html HTTP/1.1\r\n" + H + "Content-Length: 4\r\nTransfer-Encoding: cHuNkEd\r\n\r\n0\r\n\r\n" + Smuggled, 400, true);
        Add("CL.CL", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: 0\r\nContent-Length: 38\r\n\r\n" + Smuggled, 400, true);
        Add("GET with a body hiding a request", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: 38\r\n\r\n" + Smuggled, 200, true);
        Add("GET with a short CL and a request after it", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: 5\r\n\r\nhello" + Smuggled, 200, true);
        Add("HEAD with a body hiding a request", "HEAD /index.html HTTP/1.1\r\n" + H + "Content-Length: 38\r\n\r\n" + Smuggled, 200, true);
        Add("GET chunked hiding a request", "GET /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + Smuggled, 200, true);
        Add("GET chunked (mixed case) hiding a request", "GET /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding: ChUnKeD\r\n\r\n26\r\n" + Smuggled + "\r\n0\r\n\r\n", 200, true);
        Add("POST with a body hiding a request", "POST /index.html HTTP/1.1\r\n" + H + "Content-Length: 38\r\n\r\n" + Smuggled, 405, true);
        Add("POST chunked hiding a request", "POST /index.html HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + Smuggled, 405, true);
        Add("unknown method with a body", "FOO /index.html HTTP/1.1\r\n" + H + "Content-Length: 38\r\n\r\n" + Smuggled, 501, true);
        Add("bare-LF-terminated request hidden after a body", "GET /index.html HTTP/1.1\r\n" + H + "Content-Length: 33\r\n\r\nGET /secret.txt HTTP/1.1\nHost: h\n\n", 200, true);

        // ── sizes and counts (defaults: line 8192, head 16384, 100 fields) ──
        Add("request line over 8192", "GET /" + new string('a', 8200) + " HTTP/1.1\r\n" + H + "\r\n", 414, true);
        Add("method over the line limit", new string('G', 9000) + " / HTTP/1.1\r\n" + H + "\r\n", 501, true); // an unknown method: the URI is never reached
        Add("very long header value", "GET /index.html HTTP/1.1\r\n" + H + "X-Big: " + new string('v', 20_000) + "\r\n\r\n", 431, true);
        Add("very long header name", "GET /index.html HTTP/1.1\r\n" + H + new string('X', 20_000) + ": v\r\n\r\n", 431, true);
        Add("101 fields (Host + 100)", "GET /index.html HTTP/1.1\r\n" + H + Fields(100) + "\r\n", 431, true);
        Add("many small fields over 16 KiB", "GET /index.html HTTP/1.1\r\n" + H + string.Concat(Enumerable.Range(0, 90).Select(i => $"X-{i}: {new string('v', 200)}\r\n")) + "\r\n", 431, true);
        Add("leading empty lines over the limit", string.Concat(Enumerable.Repeat("\r\n", 8200)) + "GET /index.html HTTP/1.1\r\n" + H + "\r\n", 431, true);

        // ── request-target ──
        Add("absolute-form http", "GET http://h/index.html HTTP/1.1\r\n" + H + "\r\n", 200, false);
        Add("absolute-form HTTPS upper case", "GET HTTPS://H:8443/index.html HTTP/1.1\r\n" + H + "\r\n", 200, false);
        Add("absolute-form ftp", "GET ftp://h/index.html HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("absolute-form file", "GET file:///etc/passwd HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("absolute-form javascript", "GET javascript:alert(1) HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("absolute-form gopher", "GET gopher://h:70/_GET HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("absolute-form with userinfo", "GET http://user:pw@h/index.html HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("absolute-form without host", "GET http:///index.html HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("absolute-form with traversal", "GET http://h/../../etc/passwd HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("scheme-relative //", "GET //h/index.html HTTP/1.1\r\n" + H + "\r\n", 404, false);
        Add("asterisk on GET", "GET * HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("authority-form on GET", "GET h:80 HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("relative target", "GET index.html HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("fragment in target", "GET /index.html#x HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("raw non-ASCII in target", "GET /caf\xE9 HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("GET /../../etc/passwd", "GET /../../etc/passwd HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("GET /../passwd (next to the root)", "GET /../passwd HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("GET %2e%2e", "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("GET %2E%2E upper", "GET /%2E%2E/passwd HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("GET .%2e", "GET /.%2e/passwd HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("GET ..%2f", "GET /..%2f..%2fetc%2fpasswd HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("GET %2f..", "GET /a%2f..%2f..%2fpasswd HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("GET overlong dot", "GET /%c0%ae%c0%ae/passwd HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("GET double-encoded dots", "GET /%252e%252e/passwd HTTP/1.1\r\n" + H + "\r\n", 404, false);
        Add("GET %00", "GET /index.html%00.txt HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("GET truncated escape", "GET /index.html% HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("GET bad escape", "GET /%zz HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("GET invalid UTF-8", "GET /%ff%fe HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("GET dot segments inside the root", "GET /a/b/../../index.html HTTP/1.1\r\n" + H + "\r\n", 200, false);
        Add("GET encoded dot segments inside the root", "GET /a/%2e%2e/./index.html HTTP/1.1\r\n" + H + "\r\n", 200, false);
        Add("GET backslash traversal is a file name", "GET /..\\..\\etc\\passwd HTTP/1.1\r\n" + H + "\r\n", 404, false);

        // ── request line ──
        Add("lowercase get", "get /index.html HTTP/1.1\r\n" + H + "\r\n", 501, false);
        Add("unknown method", "FOO /index.html HTTP/1.1\r\n" + H + "\r\n", 501, false);
        Add("POST without a body", "POST /index.html HTTP/1.1\r\n" + H + "\r\n", 405, false);
        Add("OPTIONS *", "OPTIONS * HTTP/1.1\r\n" + H + "\r\n", 204, false);
        Add("CONNECT authority-form", "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 405, false);
        Add("non-token method", "G(T /index.html HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("double SP after method", "GET  /index.html HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("HTAB separator", "GET\t/index.html HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("leading SP", " GET /index.html HTTP/1.1\r\n" + H + "\r\n", 400, true);
        Add("trailing SP after version", "GET /index.html HTTP/1.1 \r\n" + H + "\r\n", 400, true);
        Add("HTTP/0.9 request", "GET /index.html\r\n\r\n", 400, true);
        Add("missing version", "GET /index.html \r\n" + H + "\r\n", 400, true);
        Add("lowercase version", "GET /index.html http/1.1\r\n" + H + "\r\n", 400, true);
        Add("version HTTP/1.10", "GET /index.html HTTP/1.10\r\n" + H + "\r\n", 400, true);
        Add("version HTTP/1", "GET /index.html HTTP/1\r\n" + H + "\r\n", 400, true);
        Add("version HTTP/11", "GET /index.html HTTP/11\r\n" + H + "\r\n", 400, true);
        Add("version HTTP/1.x", "GET /index.html HTTP/1.x\r\n" + H + "\r\n", 400, true);
        Add("version HTTP/2.0", "GET /index.html HTTP/2.0\r\n" + H + "\r\n", 505, true);
        Add("version HTTP/0.9", "GET /index.html HTTP/0.9\r\n" + H + "\r\n", 505, true);
        Add("version HTTP/3.0", "GET /index.html HTTP/3.0\r\n" + H + "\r\n", 505, true);
        Add("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, true);
        Add("TLS ClientHello", "\x16\x03\x01\x00\xA5\x01\x00\x00\xA1\x03\x03" + new string('\0', 32) + "\r\n\r\n", 400, true);
        Add("SSH banner", "SSH-2.0-OpenSSH_9.6\r\n\r\n", 400, true);

        return d;
    }

    private static string Fields(int n) => string.Concat(Enumerable.Range(0, n).Select(i => $"X-F{i}: v\r\n"));

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Malformed_GetsExactStatusAndFraming(string name, string request, int status, bool close)
    {
        using var client = await site.ConnectAsync();
        client.ReadTimeout = TimeSpan.FromSeconds(5);
        await client.SendAsync(request);

        if (status == NoResponse)
        {
            Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(6)), $"{name}: expected a close without a response");
        }
        else
        {
            bool isHead = request.StartsWith("HEAD ", StringComparison.Ordinal);
            var response = await client.ReadResponseAsync(isHead);
            Assert.True(response.Status == status, $"{name}: expected {status}, got {response.Status}\n{response}");
            HttpAssert.CommonHeaders(response);
            Assert.DoesNotContain("SMUGGLED", response.BodyText);

            if (close)
            {
                // Exactly one response, then the close: any further bytes (a second response to a smuggled
                // request) make WaitForCloseAsync throw.
                Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)), $"{name}: connection stayed open after {status}");
            }
            else
            {
                // Still usable: the next request on the same connection is answered normally.
                var next = await client.RoundTripAsync(Http.Get("/index.html"));
                HttpAssert.Status(200, next);
            }
        }

        await HostileSupport.AssertHealthyAsync(site.Server);
    }

    [Fact]
    public void Table_HasAtLeast100Rows() => Assert.True(Cases().Count >= 100, $"only {Cases().Count} rows");

    [Fact]
    public async Task IncompleteHead_ThenHalfClose_ClosesWithoutResponse()
    {
        using var client = await site.ConnectAsync();
        await client.SendAsync("GET /index.html HTTP/1.1\r\nHost: h\r\n");
        client.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "a partial head followed by FIN was not closed");
        await HostileSupport.AssertHealthyAsync(site.Server);
    }

    [Fact]
    public async Task OnlyEmptyLines_ThenHalfClose_ClosesWithoutResponse()
    {
        using var client = await site.ConnectAsync();
        await client.SendAsync("\r\n\r\n\r\n");
        client.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "empty lines followed by FIN were not closed");
        await HostileSupport.AssertHealthyAsync(site.Server);
    }

    [Fact]
    public async Task PipelinedAfterKeepAlive_SecondRequestIsAnswered_ButNotAfterABody()
    {
        // Control: two pipelined GETs without bodies are both answered.
        using (var client = await site.ConnectAsync())
        {
            await client.SendAsync(Http.Get("/index.html") + Http.Get("/secret.txt"));
            HttpAssert.Status(200, await client.ReadResponseAsync());
            var second = await client.ReadResponseAsync();
            HttpAssert.Status(200, second);
            Assert.Equal("SMUGGLED", second.BodyText);
        }

        // With a declared body on the first, the second must never be answered.
        using (var client = await site.ConnectAsync())
        {
            await client.SendAsync("GET /index.html HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n" + Smuggled);
            var first = await client.ReadResponseAsync();
            HttpAssert.Status(400, first);
            Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        }
    }
}

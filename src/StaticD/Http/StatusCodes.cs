namespace StaticD.Http;

/// <summary>Pre-encoded status lines and the small HTML bodies of error responses (RFC 9110 §15). Everything is a
/// u8 literal compiled into the binary's data, so writing a status costs one copy.</summary>
internal static class StatusCodes
{
    public static ReadOnlySpan<byte> Line(int status) => status switch
    {
        200 => "HTTP/1.1 200 OK\r\n"u8,
        204 => "HTTP/1.1 204 No Content\r\n"u8,
        206 => "HTTP/1.1 206 Partial Content\r\n"u8,
        301 => "HTTP/1.1 301 Moved Permanently\r\n"u8,
        302 => "HTTP/1.1 302 Found\r\n"u8,
        304 => "HTTP/1.1 304 Not Modified\r\n"u8,
        307 => "HTTP/1.1 307 Temporary Redirect\r\n"u8,
        308 => "HTTP/1.1 308 Permanent Redirect\r\n"u8,
        400 => "HTTP/1.1 400 Bad Request\r\n"u8,
        403 => "HTTP/1.1 403 Forbidden\r\n"u8,
        404 => "HTTP/1.1 404 Not Found\r\n"u8,
        405 => "HTTP/1.1 405 Method Not Allowed\r\n"u8,
        406 => "HTTP/1.1 406 Not Acceptable\r\n"u8,
        408 => "HTTP/1.1 408 Request Timeout\r\n"u8,
        412 => "HTTP/1.1 412 Precondition Failed\r\n"u8,
        414 => "HTTP/1.1 414 URI Too Long\r\n"u8,
        416 => "HTTP/1.1 416 Range Not Satisfiable\r\n"u8,
        421 => "HTTP/1.1 421 Misdirected Request\r\n"u8,
        431 => "HTTP/1.1 431 Request Header Fields Too Large\r\n"u8,
        501 => "HTTP/1.1 501 Not Implemented\r\n"u8,
        503 => "HTTP/1.1 503 Service Unavailable\r\n"u8,
        505 => "HTTP/1.1 505 HTTP Version Not Supported\r\n"u8,
        _ => "HTTP/1.1 500 Internal Server Error\r\n"u8,
    };

    /// <summary>The answer to a request the parser refused (RFC 9112 §3, RFC 9110 §15.5.15, RFC 6585 §5).</summary>
    public static int ForParseError(ParseError error) => error switch
    {
        ParseError.UriTooLong => 414,
        ParseError.HeadersTooLarge => 431,
        ParseError.VersionNotSupported => 505,
        ParseError.MethodNotImplemented => 501,
        _ => 400,
    };

    /// <summary>A minimal HTML page naming the status, so a browser shows something better than a blank page.</summary>
    /// <summary>The 400 page for a plain HTTP request on the HTTPS port, which says what went wrong.</summary>
    public static ReadOnlySpan<byte> PlainHttpOnTlsPortBody =>
        "<!DOCTYPE html>\n<html><head><title>400 Bad Request</title></head><body><h1>400 Bad Request</h1><p>A plain HTTP request was sent to the HTTPS port.</p></body></html>\n"u8;

    public static ReadOnlySpan<byte> ErrorBody(int status) => status switch
    {
        301 => "<!DOCTYPE html>\n<html><head><title>301 Moved Permanently</title></head><body><h1>301 Moved Permanently</h1></body></html>\n"u8,
        302 => "<!DOCTYPE html>\n<html><head><title>302 Found</title></head><body><h1>302 Found</h1></body></html>\n"u8,
        307 => "<!DOCTYPE html>\n<html><head><title>307 Temporary Redirect</title></head><body><h1>307 Temporary Redirect</h1></body></html>\n"u8,
        308 => "<!DOCTYPE html>\n<html><head><title>308 Permanent Redirect</title></head><body><h1>308 Permanent Redirect</h1></body></html>\n"u8,
        400 => "<!DOCTYPE html>\n<html><head><title>400 Bad Request</title></head><body><h1>400 Bad Request</h1></body></html>\n"u8,
        403 => "<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1></body></html>\n"u8,
        404 => "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>\n"u8,
        405 => "<!DOCTYPE html>\n<html><head><title>405 Method Not Allowed</title></head><body><h1>405 Method Not Allowed</h1></body></html>\n"u8,
        406 => "<!DOCTYPE html>\n<html><head><title>406 Not Acceptable</title></head><body><h1>406 Not Acceptable</h1></body></html>\n"u8,
        412 => "<!DOCTYPE html>\n<html><head><title>412 Precondition Failed</title></head><body><h1>412 Precondition Failed</h1></body></html>\n"u8,
        416 => "<!DOCTYPE html>\n<html><head><title>416 Range Not Satisfiable</title></head><body><h1>416 Range Not Satisfiable</h1></body></html>\n"u8,
        408 => "<!DOCTYPE html>\n<html><head><title>408 Request Timeout</title></head><body><h1>408 Request Timeout</h1></body></html>\n"u8,
        414 => "<!DOCTYPE html>\n<html><head><title>414 URI Too Long</title></head><body><h1>414 URI Too Long</h1></body></html>\n"u8,
        421 => "<!DOCTYPE html>\n<html><head><title>421 Misdirected Request</title></head><body><h1>421 Misdirected Request</h1></body></html>\n"u8,
        431 => "<!DOCTYPE html>\n<html><head><title>431 Request Header Fields Too Large</title></head><body><h1>431 Request Header Fields Too Large</h1></body></html>\n"u8,
        501 => "<!DOCTYPE html>\n<html><head><title>501 Not Implemented</title></head><body><h1>501 Not Implemented</h1></body></html>\n"u8,
        503 => "<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head><body><h1>503 Service Unavailable</h1></body></html>\n"u8,
        505 => "<!DOCTYPE html>\n<html><head><title>505 HTTP Version Not Supported</title></head><body><h1>505 HTTP Version Not Supported</h1></body></html>\n"u8,
        _ => "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head><body><h1>500 Internal Server Error</h1></body></html>\n"u8,
    };
}

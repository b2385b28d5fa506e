using System.Runtime.InteropServices;

namespace StaticD.Interop;

/// <summary>
/// Debian's libnghttp2 (libnghttp2-14, the HTTP/2 framing under curl, Apache mod_http2 and Node.js): frames, HPACK,
/// stream states and flow control. Only what staticd uses is imported; the structs and numbers are those of
/// nghttp2.h 1.52 (Debian 12), whose ABI the soname fixes.
/// </summary>
internal static unsafe partial class LibNghttp2
{
    private const string Lib = "libnghttp2.so.14";

    // Frame types (RFC 9113 §6) and flags.
    public const byte Data = 0, Headers = 1, Priority = 2, RstStream = 3, Settings = 4, PushPromise = 5, Ping = 6, GoAway = 7,
        WindowUpdate = 8, Continuation = 9;
    public const byte FlagEndStream = 0x01, FlagAck = 0x01, FlagEndHeaders = 0x04;
    // nghttp2_nv_flag: the library keeps pointers to the caller's name and value instead of copies.
    public const byte NvFlagNoCopyName = 0x02, NvFlagNoCopyValue = 0x04;
    // nghttp2_data_flag
    public const uint DataFlagEof = 0x01, DataFlagNoCopy = 0x04;
    // Library error codes a callback may return.
    public const int ErrWouldBlock = -504, ErrDeferred = -508, ErrTemporalCallbackFailure = -521, ErrCallbackFailure = -902;
    /// <summary>NGHTTP2_ERR_TOO_MANY_CONTINUATIONS (upstream 1.61; Debian's 1.52.0-1+deb12u2 backports it for
    /// CVE-2024-28182): more CONTINUATION frames after one HEADERS than the session allows.</summary>
    public const int ErrTooManyContinuations = -536;
    /// <summary>NGHTTP2_ERR_FLOODED: the client made the session queue more ACKs (SETTINGS, PING) or RST_STREAMs than
    /// it keeps (1000) without reading them.</summary>
    public const int ErrFlooded = -904;
    // SETTINGS identifiers.
    public const int SettingsMaxConcurrentStreams = 3, SettingsInitialWindowSize = 4, SettingsMaxHeaderListSize = 6,
        SettingsEnablePush = 2;

    /// <summary>nghttp2_nv: one header field (the library copies name and value unless told otherwise).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Nv
    {
        public byte* Name;
        public byte* Value;
        public nuint NameLength;
        public nuint ValueLength;
        public byte Flags;
    }

    /// <summary>nghttp2_frame_hd, the first member of every nghttp2_frame union member.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct FrameHeader
    {
        public nuint Length;
        public int StreamId;
        public byte Type;
        public byte Flags;
        public byte Reserved;
    }

    /// <summary>nghttp2_rst_stream and nghttp2_goaway start with the header, then (after alignment) their fields.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct RstStreamFrame
    {
        public FrameHeader Header;
        public uint ErrorCode;
    }

    /// <summary>nghttp2_data_provider: a source (union of int fd / void*) and the read callback.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct DataProvider
    {
        public nint Source;
        public void* ReadCallback;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SettingsEntry
    {
        public int Id;
        public uint Value;
    }

    [LibraryImport(Lib)] internal static partial int nghttp2_session_callbacks_new(nint* callbacks);
    [LibraryImport(Lib)] internal static partial void nghttp2_session_callbacks_del(nint callbacks);
    [LibraryImport(Lib)] internal static partial void nghttp2_session_callbacks_set_on_begin_headers_callback(nint callbacks, void* callback);
    [LibraryImport(Lib)] internal static partial void nghttp2_session_callbacks_set_on_begin_frame_callback(nint callbacks, void* callback);
    [LibraryImport(Lib)] internal static partial void nghttp2_session_callbacks_set_on_header_callback(nint callbacks, void* callback);
    [LibraryImport(Lib)] internal static partial void nghttp2_session_callbacks_set_on_frame_recv_callback(nint callbacks, void* callback);
    [LibraryImport(Lib)] internal static partial void nghttp2_session_callbacks_set_on_stream_close_callback(nint callbacks, void* callback);
    [LibraryImport(Lib)] internal static partial void nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(nint callbacks, void* callback);
    [LibraryImport(Lib)] internal static partial void nghttp2_session_callbacks_set_send_data_callback(nint callbacks, void* callback);

    [LibraryImport(Lib)] internal static partial int nghttp2_option_new(nint* option);
    [LibraryImport(Lib)] internal static partial void nghttp2_option_del(nint option);
    [LibraryImport(Lib)] internal static partial void nghttp2_option_set_max_outbound_ack(nint option, nuint value);
    [LibraryImport(Lib)] internal static partial void nghttp2_option_set_max_settings(nint option, nuint value);
    [LibraryImport(Lib)] internal static partial void nghttp2_option_set_max_continuations(nint option, nuint value);
    [LibraryImport(Lib)] internal static partial void nghttp2_option_set_stream_reset_rate_limit(nint option, ulong burst, ulong rate);

    [LibraryImport(Lib)] internal static partial int nghttp2_session_server_new2(nint* session, nint callbacks, nint userData, nint option);
    [LibraryImport(Lib)] internal static partial void nghttp2_session_del(nint session);
    [LibraryImport(Lib)] internal static partial nint nghttp2_session_mem_recv(nint session, byte* input, nuint length);
    [LibraryImport(Lib)] internal static partial nint nghttp2_session_mem_send(nint session, byte** data);
    [LibraryImport(Lib)] internal static partial int nghttp2_session_want_read(nint session);
    [LibraryImport(Lib)] internal static partial int nghttp2_session_want_write(nint session);
    [LibraryImport(Lib)] internal static partial int nghttp2_session_resume_data(nint session, int streamId);
    [LibraryImport(Lib)] internal static partial int nghttp2_session_get_stream_remote_window_size(nint session, int streamId);
    [LibraryImport(Lib)] internal static partial int nghttp2_session_get_remote_window_size(nint session);
    [LibraryImport(Lib)] internal static partial int nghttp2_session_terminate_session(nint session, uint errorCode);
    [LibraryImport(Lib)] internal static partial int nghttp2_session_get_last_proc_stream_id(nint session);
    [LibraryImport(Lib)] internal static partial int nghttp2_session_set_local_window_size(nint session, byte flags, int streamId, int size);
    [LibraryImport(Lib)] internal static partial int nghttp2_submit_settings(nint session, byte flags, SettingsEntry* entries, nuint count);
    [LibraryImport(Lib)] internal static partial int nghttp2_submit_response(nint session, int streamId, Nv* fields, nuint count, DataProvider* data);
    [LibraryImport(Lib)] internal static partial int nghttp2_submit_rst_stream(nint session, byte flags, int streamId, uint errorCode);
    [LibraryImport(Lib)] internal static partial int nghttp2_submit_goaway(nint session, byte flags, int lastStreamId, uint errorCode, byte* data, nuint length);
    [LibraryImport(Lib)] internal static partial nint nghttp2_strerror(int error);
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StaticD.Interop;

/// <summary>What an HTTP/2 session tells its owner, from inside <see cref="Nghttp2.Receive"/> and
/// <see cref="Nghttp2.NextOutput"/>. Returns follow nghttp2: 0 to go on, a negative library code otherwise.</summary>
internal interface IHttp2Handler
{
    /// <summary>A frame header arrived (before nghttp2 acts on the frame).</summary>
    int OnBeginFrame(byte type, int streamId);
    int OnBeginHeaders(int streamId);
    int OnHeader(int streamId, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value);
    /// <summary>A whole frame arrived (HEADERS after its last CONTINUATION). <paramref name="errorCode"/> is that of
    /// RST_STREAM and GOAWAY, 0 otherwise.</summary>
    int OnFrameReceived(byte type, byte flags, int streamId, long length, uint errorCode);
    int OnStreamClosed(int streamId, uint errorCode);
    int OnInvalidFrame(byte type, int streamId, int libraryError);
    /// <summary>How many response body bytes (at most <paramref name="maxLength"/>) the next DATA frame of
    /// <paramref name="streamId"/> carries, or <see cref="LibNghttp2.ErrDeferred"/> when none are ready yet (the owner
    /// calls <see cref="Nghttp2.ResumeData"/> when they are). <paramref name="eof"/> ends the stream. Nothing is
    /// copied yet: <see cref="SendData"/> writes the frame.</summary>
    int ReadData(int streamId, int maxLength, out bool eof);
    /// <summary>Writes a DATA frame: <paramref name="frameHeader"/>, then the <paramref name="length"/> body bytes
    /// <see cref="ReadData"/> promised, straight from where the owner keeps them. 0, or
    /// <see cref="LibNghttp2.ErrWouldBlock"/> to be asked again later (the output is full).</summary>
    int SendData(int streamId, ReadOnlySpan<byte> frameHeader, int length);
}

/// <summary>
/// One server-side nghttp2 session, driven by memory: received bytes go in through <see cref="Receive"/>, frames to
/// send come out of <see cref="NextOutput"/>, so the bytes flow through whatever transport the owner has (TLS
/// included). Callbacks reach the owner through a GCHandle passed as nghttp2's user_data. Loop thread only.
/// </summary>
internal sealed unsafe class Nghttp2 : IDisposable
{
    /// <summary>Callback table shared by every session (nghttp2 copies nothing from it but reads it at creation).</summary>
    private static readonly nint Callbacks = CreateCallbacks();

    private nint _session;
    private GCHandle _handle;

    public Nghttp2(IHttp2Handler handler, int maxContinuations)
    {
        _handle = GCHandle.Alloc(handler);
        nint option;
        if (LibNghttp2.nghttp2_option_new(&option) != 0) throw new OutOfMemoryException("nghttp2_option_new");
        try
        {
            LibNghttp2.nghttp2_option_set_max_continuations(option, (nuint)maxContinuations);
            nint session;
            int rv = LibNghttp2.nghttp2_session_server_new2(&session, Callbacks, GCHandle.ToIntPtr(_handle), option);
            if (rv != 0)
            {
                _handle.Free();
                throw new InvalidOperationException($"nghttp2_session_server_new2: {Describe(rv)}");
            }
            _session = session;
        }
        finally
        {
            LibNghttp2.nghttp2_option_del(option);
        }
    }

    /// <summary>Whether libnghttp2.so.14 can be loaded (asked once at start-up, so a missing library is a clear error).</summary>
    public static bool IsAvailable()
    {
        try
        {
            return LibNghttp2.nghttp2_strerror(0) != 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    public static string Describe(int error) => Marshal.PtrToStringUTF8(LibNghttp2.nghttp2_strerror(error)) ?? error.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Our SETTINGS (the server preface) and the connection window raised to <paramref name="connectionWindow"/>.</summary>
    public int SubmitSettings(uint maxConcurrentStreams, uint initialWindow, uint maxHeaderList, int connectionWindow)
    {
        LibNghttp2.SettingsEntry* entries = stackalloc LibNghttp2.SettingsEntry[4];
        entries[0] = new() { Id = LibNghttp2.SettingsMaxConcurrentStreams, Value = maxConcurrentStreams };
        entries[1] = new() { Id = LibNghttp2.SettingsInitialWindowSize, Value = initialWindow };
        entries[2] = new() { Id = LibNghttp2.SettingsMaxHeaderListSize, Value = maxHeaderList };
        entries[3] = new() { Id = LibNghttp2.SettingsEnablePush, Value = 0 };
        int rv = LibNghttp2.nghttp2_submit_settings(_session, 0, entries, 4);
        if (rv != 0) return rv;
        return LibNghttp2.nghttp2_session_set_local_window_size(_session, 0, 0, connectionWindow);
    }

    /// <summary>Bytes consumed (all of them unless the session failed), or a negative library error (the
    /// connection is then beyond repair: close it).</summary>
    public nint Receive(ReadOnlySpan<byte> input)
    {
        fixed (byte* p = input) return LibNghttp2.nghttp2_session_mem_recv(_session, p, (nuint)input.Length);
    }

    /// <summary>The next bytes to send (valid until the next call into the session), empty when nothing is
    /// queued; a negative return is a library error.</summary>
    public nint NextOutput(out ReadOnlySpan<byte> data)
    {
        byte* p;
        nint n = LibNghttp2.nghttp2_session_mem_send(_session, &p);
        data = n > 0 ? new ReadOnlySpan<byte>(p, (int)n) : default;
        return n;
    }

    public bool WantRead => LibNghttp2.nghttp2_session_want_read(_session) != 0;
    public bool WantWrite => LibNghttp2.nghttp2_session_want_write(_session) != 0;
    public int LastProcessedStreamId => LibNghttp2.nghttp2_session_get_last_proc_stream_id(_session);

    /// <summary>What the client lets us send on <paramref name="streamId"/> now: the smaller of the stream's and the
    /// connection's flow-control windows (RFC 9113 §6.9), 0 or less when it lets us send nothing.</summary>
    public int SendWindow(int streamId) =>
        Math.Min(LibNghttp2.nghttp2_session_get_stream_remote_window_size(_session, streamId),
            LibNghttp2.nghttp2_session_get_remote_window_size(_session));

    public int ResumeData(int streamId) => LibNghttp2.nghttp2_session_resume_data(_session, streamId);

    /// <summary>GOAWAY with <paramref name="errorCode"/> naming the last stream processed; the session then only
    /// sends what is queued.</summary>
    public int Terminate(uint errorCode) => LibNghttp2.nghttp2_session_terminate_session(_session, errorCode);

    /// <summary>GOAWAY that lets streams up to <paramref name="lastStreamId"/> finish (graceful stop).</summary>
    public int SubmitGoAway(int lastStreamId, uint errorCode) =>
        LibNghttp2.nghttp2_submit_goaway(_session, 0, lastStreamId, errorCode, null, 0);

    public const uint ProtocolError = 1;

    public int SubmitReset(int streamId, uint errorCode) => LibNghttp2.nghttp2_submit_rst_stream(_session, 0, streamId, errorCode);

    /// <summary>A response head: <paramref name="fields"/> holds (name start, name length, value start, value
    /// length) per field into <paramref name="buffer"/>. With <paramref name="pinned"/> nghttp2 keeps pointers into it
    /// instead of copies, so it must be an array on the pinned heap that stays unchanged until the HEADERS frame is
    /// sent or the stream is gone; otherwise nghttp2 copies the fields. With <paramref name="hasBody"/> DATA
    /// frames follow from <see cref="IHttp2Handler.ReadData"/>, else HEADERS ends the stream.</summary>
    public int SubmitResponse(int streamId, byte[] buffer, ReadOnlySpan<int> fields, bool hasBody, bool pinned)
    {
        int count = fields.Length / 4;
        LibNghttp2.Nv* nv = stackalloc LibNghttp2.Nv[count];
        fixed (byte* b = buffer)
        {
            for (int i = 0; i < count; i++)
            {
                nv[i] = new LibNghttp2.Nv
                {
                    Name = b + fields[i * 4],
                    NameLength = (nuint)fields[i * 4 + 1],
                    Value = b + fields[i * 4 + 2],
                    ValueLength = (nuint)fields[i * 4 + 3],
                    Flags = pinned ? (byte)(LibNghttp2.NvFlagNoCopyName | LibNghttp2.NvFlagNoCopyValue) : (byte)0,
                };
            }
            if (!hasBody) return LibNghttp2.nghttp2_submit_response(_session, streamId, nv, (nuint)count, null);
            var provider = new LibNghttp2.DataProvider
            {
                ReadCallback = (delegate* unmanaged[Cdecl]<nint, int, byte*, nuint, uint*, nint, nint, nint>)&OnRead,
            };
            return LibNghttp2.nghttp2_submit_response(_session, streamId, nv, (nuint)count, &provider);
        }
    }

    public void Dispose()
    {
        if (_session != 0)
        {
            LibNghttp2.nghttp2_session_del(_session);
            _session = 0;
        }
        if (_handle.IsAllocated) _handle.Free();
    }

    // ───────────────────────────── callbacks ─────────────────────────────

    private static nint CreateCallbacks()
    {
        nint callbacks;
        if (LibNghttp2.nghttp2_session_callbacks_new(&callbacks) != 0) throw new OutOfMemoryException("nghttp2_session_callbacks_new");
        LibNghttp2.nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks,
            (delegate* unmanaged[Cdecl]<nint, LibNghttp2.FrameHeader*, nint, int>)&OnBeginFrame);
        LibNghttp2.nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks,
            (delegate* unmanaged[Cdecl]<nint, LibNghttp2.FrameHeader*, nint, int>)&OnBeginHeaders);
        LibNghttp2.nghttp2_session_callbacks_set_on_header_callback(callbacks,
            (delegate* unmanaged[Cdecl]<nint, LibNghttp2.FrameHeader*, byte*, nuint, byte*, nuint, byte, nint, int>)&OnHeader);
        LibNghttp2.nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks,
            (delegate* unmanaged[Cdecl]<nint, LibNghttp2.FrameHeader*, nint, int>)&OnFrameRecv);
        LibNghttp2.nghttp2_session_callbacks_set_on_stream_close_callback(callbacks,
            (delegate* unmanaged[Cdecl]<nint, int, uint, nint, int>)&OnStreamClose);
        LibNghttp2.nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks,
            (delegate* unmanaged[Cdecl]<nint, LibNghttp2.FrameHeader*, int, nint, int>)&OnInvalidFrameRecv);
        // DATA frames are written by the owner from its own body buffer (NO_COPY in OnRead): without it each body byte
        // is copied into nghttp2's frame buffer and then again out of it.
        LibNghttp2.nghttp2_session_callbacks_set_send_data_callback(callbacks,
            (delegate* unmanaged[Cdecl]<nint, LibNghttp2.FrameHeader*, byte*, nuint, nint, nint, int>)&OnSendData);
        return callbacks;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static IHttp2Handler Handler(nint userData) => (IHttp2Handler)GCHandle.FromIntPtr(userData).Target!;

    // An exception must never unwind into C: it becomes a callback failure, which ends the session.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnBeginFrame(nint session, LibNghttp2.FrameHeader* header, nint userData)
    {
        try
        {
            return Handler(userData).OnBeginFrame(header->Type, header->StreamId);
        }
        catch (Exception)
        {
            return LibNghttp2.ErrCallbackFailure;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnBeginHeaders(nint session, LibNghttp2.FrameHeader* frame, nint userData)
    {
        try
        {
            return Handler(userData).OnBeginHeaders(frame->StreamId);
        }
        catch (Exception)
        {
            return LibNghttp2.ErrCallbackFailure;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnHeader(nint session, LibNghttp2.FrameHeader* frame, byte* name, nuint nameLength, byte* value,
        nuint valueLength, byte flags, nint userData)
    {
        try
        {
            return Handler(userData).OnHeader(frame->StreamId, new ReadOnlySpan<byte>(name, (int)nameLength),
                new ReadOnlySpan<byte>(value, (int)valueLength));
        }
        catch (Exception)
        {
            return LibNghttp2.ErrCallbackFailure;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnFrameRecv(nint session, LibNghttp2.FrameHeader* frame, nint userData)
    {
        try
        {
            // RST_STREAM's error code follows the header; GOAWAY's follows its last stream id.
            uint error = frame->Type switch
            {
                LibNghttp2.RstStream => ((LibNghttp2.RstStreamFrame*)frame)->ErrorCode,
                LibNghttp2.GoAway => *(uint*)((byte*)frame + sizeof(LibNghttp2.FrameHeader) + sizeof(int)),
                _ => 0,
            };
            return Handler(userData).OnFrameReceived(frame->Type, frame->Flags, frame->StreamId, (long)frame->Length, error);
        }
        catch (Exception)
        {
            return LibNghttp2.ErrCallbackFailure;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnStreamClose(nint session, int streamId, uint errorCode, nint userData)
    {
        try
        {
            return Handler(userData).OnStreamClosed(streamId, errorCode);
        }
        catch (Exception)
        {
            return LibNghttp2.ErrCallbackFailure;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnInvalidFrameRecv(nint session, LibNghttp2.FrameHeader* frame, int libraryError, nint userData)
    {
        try
        {
            return Handler(userData).OnInvalidFrame(frame->Type, frame->StreamId, libraryError);
        }
        catch (Exception)
        {
            return LibNghttp2.ErrCallbackFailure;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static nint OnRead(nint session, int streamId, byte* buffer, nuint length, uint* dataFlags, nint source, nint userData)
    {
        try
        {
            int n = Handler(userData).ReadData(streamId, (int)Math.Min(length, int.MaxValue), out bool eof);
            if (n >= 0) *dataFlags |= LibNghttp2.DataFlagNoCopy;
            if (eof) *dataFlags |= LibNghttp2.DataFlagEof;
            return n;
        }
        catch (Exception)
        {
            return LibNghttp2.ErrCallbackFailure;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnSendData(nint session, LibNghttp2.FrameHeader* frame, byte* frameHeader, nuint length, nint source, nint userData)
    {
        try
        {
            // The frame header is 9 bytes (RFC 9113 §4.1); no padding is ever asked for (no select_padding callback).
            return Handler(userData).SendData(frame->StreamId, new ReadOnlySpan<byte>(frameHeader, 9), (int)length);
        }
        catch (Exception)
        {
            return LibNghttp2.ErrCallbackFailure;
        }
    }
}

namespace StaticD.Net;

/// <summary>
/// A loop's connections by slot, with a generation per slot: the epoll data word of a connection is
/// (generation &lt;&lt; 32 | slot), so an event for a slot whose connection was closed earlier in the same batch is
/// recognised as stale and dropped (nginx's "instance" bit). Loop thread only.
/// </summary>
internal sealed class ConnectionTable
{
    private Connection?[] _slots = new Connection?[64];
    private uint[] _generations = new uint[64];
    private readonly Stack<int> _free = new();
    private int _next;

    public int Count { get; private set; }

    /// <summary>Slots in use are below this; a sweep visits [0, HighWater).</summary>
    public int HighWater => _next;

    public Connection? this[int slot] => (uint)slot < (uint)_next ? _slots[slot] : null;

    /// <summary>Places the connection and returns its epoll data word.</summary>
    public ulong Add(Connection connection)
    {
        int slot;
        if (_free.Count > 0)
        {
            slot = _free.Pop();
        }
        else
        {
            if (_next == _slots.Length)
            {
                Array.Resize(ref _slots, _slots.Length * 2);
                Array.Resize(ref _generations, _generations.Length * 2);
            }
            slot = _next++;
        }
        connection.Slot = slot;
        _slots[slot] = connection;
        Count++;
        return ((ulong)(_generations[slot] & 0x7FFF_FFFF) << 32) | (uint)slot;
    }

    /// <summary>The connection an epoll data word names, or null when it is stale.</summary>
    public Connection? Find(ulong data)
    {
        int slot = (int)(uint)data;
        uint generation = (uint)(data >> 32);
        Connection? connection = this[slot];
        return connection is not null && _generations[slot] == generation ? connection : null;
    }

    /// <summary>False when the connection no longer holds its slot (removed twice).</summary>
    public bool Remove(Connection connection)
    {
        int slot = connection.Slot;
        if (this[slot] != connection) return false;
        _slots[slot] = null;
        _generations[slot] = (_generations[slot] + 1) & 0x7FFF_FFFF;
        _free.Push(slot);
        Count--;
        return true;
    }
}

using System.Collections.Frozen;
using System.Text;
using StaticD.Http;

namespace StaticD.Site;

/// <summary>
/// Which site answers a host name: exact names in one hash table (one lookup whatever the number of sites), and
/// <c>*.</c> wildcards in another keyed by their suffix with its dot (".example.org"), tried once per label from
/// the longest suffix down, so the longest wildcard wins in O(labels). Exact beats wildcard. Built once per
/// configuration and read by every loop without locks; the host looked up is already normalised
/// (<see cref="HostSyntax.TryNormalize"/>: lowercase, no port, no trailing dot).
/// </summary>
internal sealed class HostTable
{
    /// <summary>A DNS name is at most 253 characters; an IPv6 literal with brackets is shorter. Longer hosts can
    /// match nothing, so they are not widened onto the stack.</summary>
    public const int MaxNameLength = 255;

    private readonly FrozenDictionary<string, int> _exact;
    private readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _exactLookup;
    private readonly FrozenDictionary<string, int> _wildcards;
    private readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _wildcardLookup;

    public static readonly HostTable Empty = new([]);

    /// <summary><paramref name="names"/>: normalised names as <see cref="TryParse"/> returns them ("example.com",
    /// "*.example.org"), each with the index of its site. A name listed twice keeps its first site (configuration
    /// refuses duplicates before it gets here).</summary>
    public HostTable(IEnumerable<(string Name, int Site)> names)
    {
        var exact = new Dictionary<string, int>(StringComparer.Ordinal);
        var wildcards = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((string name, int site) in names)
        {
            if (name.StartsWith("*.", StringComparison.Ordinal)) wildcards.TryAdd(name[1..], site);
            else exact.TryAdd(name, site);
        }
        _exact = exact.ToFrozenDictionary(StringComparer.Ordinal);
        _exactLookup = _exact.GetAlternateLookup<ReadOnlySpan<char>>();
        _wildcards = wildcards.ToFrozenDictionary(StringComparer.Ordinal);
        _wildcardLookup = _wildcards.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _exact.Count + _wildcards.Count;

    /// <summary>The site index for a normalised host, or -1. No allocation: the name is widened onto the stack.</summary>
    public int Find(ReadOnlySpan<byte> host)
    {
        if (host.IsEmpty || host.Length > MaxNameLength) return -1;
        Span<char> name = stackalloc char[host.Length];
        for (int i = 0; i < host.Length; i++) name[i] = (char)host[i];
        if (_exact.Count > 0 && _exactLookup.TryGetValue(name, out int site)) return site;
        if (_wildcards.Count == 0) return -1;
        // "a.b.example.org" tries ".b.example.org", then ".example.org", then ".org": at least one label stays
        // in front of the suffix, as nginx's "*.example.org" requires.
        for (int dot = name.IndexOf('.'); dot > 0; dot = NextDot(name, dot))
        {
            if (_wildcardLookup.TryGetValue(name[dot..], out site)) return site;
        }
        return -1;
    }

    private static int NextDot(ReadOnlySpan<char> name, int dot)
    {
        int next = name[(dot + 1)..].IndexOf('.');
        return next < 0 ? -1 : dot + 1 + next;
    }

    /// <summary>
    /// A host name as written in configuration, checked and normalised the way request hosts are, so the two
    /// always compare equal: ASCII letters lowercased, one trailing dot dropped. A name is a DNS name (letters,
    /// digits, '-', '_' and dots, labels of 1 to 63 characters), an IPv4 address or an IPv6 literal in brackets;
    /// <c>*.</c> in front makes a wildcard for one label or more. Ports, paths, '*' anywhere else and
    /// percent-encoding are refused with a sentence saying why.
    /// </summary>
    public static bool TryParse(string? value, out string name, out string error)
    {
        name = "";
        error = "";
        const string Expected = "expected a host name such as \"example.com\", a wildcard such as \"*.example.com\", or an IP address";
        if (string.IsNullOrEmpty(value))
        {
            error = $"empty; {Expected}";
            return false;
        }
        bool wildcard = value.StartsWith("*.", StringComparison.Ordinal);
        string host = wildcard ? value[2..] : value;
        if (host.EndsWith('.')) host = host[..^1];
        if (host.Length == 0 || host.Length > 253)
        {
            error = $"\"{value}\" is not allowed; {Expected}";
            return false;
        }
        if (host.StartsWith('['))
        {
            byte[] bytes = Encoding.ASCII.GetBytes(host);
            if (wildcard || !host.EndsWith(']') || !HostSyntax.IsIpLiteral(bytes.AsSpan(1, bytes.Length - 2)))
            {
                error = $"\"{value}\" is not allowed; {Expected} (an IPv6 address goes in brackets, \"[::1]\")";
                return false;
            }
            name = host.ToLowerInvariant();
            return true;
        }
        if (host.Contains(':'))
        {
            error = $"\"{value}\" is not allowed: a site's name has no port (every site answers on every listener); {Expected}";
            return false;
        }
        foreach (string label in host.Split('.'))
        {
            if (label.Length is 0 or > 63 || !label.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_'))
            {
                error = value.Contains('*')
                    ? $"\"{value}\" is not allowed: '*' may only stand for whole labels at the start (\"*.example.com\"); {Expected}"
                    : $"\"{value}\" is not allowed; {Expected} (labels of letters, digits, '-' and '_', up to 63 each)";
                return false;
            }
        }
        name = (wildcard ? "*." : "") + host.ToLowerInvariant();
        return true;
    }
}

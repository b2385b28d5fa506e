using Microsoft.Extensions.Configuration;
using StaticD.Site;
using StaticD.Tls;

namespace StaticD.Hosting;

/// <summary>
/// The HTTPS keys: <c>Tls { Certificate, Key }</c> at the top level (the default certificate, plus the
/// server-wide <c>Ktls</c>) and per site, <c>HttpsPort</c>, and the contexts built from them when a configuration
/// is opened. Every certificate and key is read at load (and so again on reload); one that cannot be served stops
/// the load with the reason, so a reload with a bad pair keeps the running contexts.
/// </summary>
internal static class TlsConfig
{
    public static readonly string[] TopKeys = ["Certificate", "Key", "Ktls"];
    private static readonly string[] SiteKeys = ["Certificate", "Key"];

    /// <summary>systemd's LoadCredential= puts files there; "${CREDENTIALS_DIRECTORY}/site.key" names one.</summary>
    private const string CredentialsVariable = "CREDENTIALS_DIRECTORY";
    private static readonly string[] CredentialsPrefixes = ["${" + CredentialsVariable + "}", "$" + CredentialsVariable];

    /// <summary>
    /// Set by <c>--check-config</c>: a certificate or key passed as a systemd credential may be out of its reach.
    /// systemd 252 (Debian 12) does not give ExecReload= the service's credentials (the reload's check then saw no
    /// key and failed every `systemctl reload` of an HTTPS setup), and an operator's shell has none either. Such a
    /// file is then left to the server, which checks it when it loads, and the check says so as a warning.
    /// </summary>
    public static bool CredentialsMayBeAbsent { get; set; }

    /// <summary>What the check could not read for that reason, one line each (see <see cref="CredentialsMayBeAbsent"/>).</summary>
    public static List<string> Unverified { get; } = [];

    /// <summary>A site's (or the top level's) certificate and key, as absolute paths; null without Tls.</summary>
    public static (string Certificate, string Key)? LoadFiles(IConfigurationSection tls, bool topLevel, string configFile)
    {
        if (!tls.Exists()) return null;
        const string Expected = "expected { \"Certificate\": \"/etc/staticd/tls/site.pem\", \"Key\": \"/etc/staticd/tls/site.key\" }";
        if (tls.Value is not null) throw new ConfigException(tls.Path, $"\"{tls.Value}\" is not allowed; {Expected}");
        if (!topLevel && tls.GetSection("Ktls").Exists())
            throw new ConfigException(tls.Path + ":Ktls", "is server-wide and cannot be set per site; set it in the top-level \"Tls\"");
        ServerOptions.RejectUnknownKeys(tls, topLevel ? TopKeys : SiteKeys);
        string certificate = FilePath(tls, "Certificate", configFile, Expected);
        string key = FilePath(tls, "Key", configFile, Expected);
        return (certificate, key);
    }

    /// <summary>Tls:Ktls: "auto" (the default: kernel TLS where the kernel offers it) or "off".</summary>
    public static bool LoadKernelTls(IConfigurationSection tls)
    {
        string? value = tls["Ktls"];
        if (value is null || value.Equals("auto", StringComparison.OrdinalIgnoreCase)) return true;
        if (value.Equals("off", StringComparison.OrdinalIgnoreCase)) return false;
        throw new ConfigException(tls.Path + ":Ktls", $"\"{value}\" is not allowed; expected \"auto\" or \"off\"");
    }

    private static string FilePath(IConfigurationSection tls, string name, string configFile, string expected)
    {
        string key = $"{tls.Path}:{name}";
        string? value = tls[name];
        if (string.IsNullOrWhiteSpace(value)) throw new ConfigException(key, $"missing; {expected}");
        foreach (string variable in CredentialsPrefixes)
        {
            if (!value.StartsWith(variable, StringComparison.Ordinal)) continue;
            string? directory = Environment.GetEnvironmentVariable(CredentialsVariable);
            if (string.IsNullOrEmpty(directory) && CredentialsMayBeAbsent) return value; // left to the server
            if (string.IsNullOrEmpty(directory))
                throw new ConfigException(key, $"\"{value}\" names {CredentialsVariable}, which is not set; systemd sets it for a unit with LoadCredential=");
            value = directory + value[variable.Length..];
            break;
        }
        return ServerOptions.RelativeToConfig(value, configFile);
    }

    /// <summary>Reads every certificate and key the configuration names (each distinct pair once) and builds their
    /// contexts; null when there is none. The default is the top-level Tls, else the first site's.</summary>
    public static TlsSites? Open(ServerOptions options, HostTable hosts)
    {
        var owned = new Dictionary<(string, string), CertificateContext>();
        var problems = new List<ConfigException>();
        CertificateContext? Get(SitePolicy site)
        {
            if (site.TlsCertificate is not { } certificate || site.TlsKey is not { } key) return null;
            if (owned.TryGetValue((certificate, key), out CertificateContext? known)) return known;
            if (CredentialsMayBeAbsent && ((string[])[key, certificate]).FirstOrDefault(Unreadable) is { } unread)
            {
                Unverified.Add($"{site.ConfigPath}:Tls: {unread} is a systemd credential this check cannot " +
                               "read (systemd gives credentials to the server, not to ExecReload= or a shell); the server checks it when it loads");
                return null;
            }
            try
            {
                return owned[(certificate, key)] = CertificateContext.Load(certificate, key, options.KernelTls, options.OffersHttp2);
            }
            catch (TlsLoadException ex)
            {
                problems.Add(new ConfigException(site.ConfigPath + ":Tls", ex.Message));
                return null;
            }
        }
        CertificateContext? top = Get(options.Site);
        CertificateContext?[] perSite = [.. options.Sites.Select(Get)];
        if (problems.Count > 0)
        {
            foreach (CertificateContext c in owned.Values) c.Dispose();
            throw ConfigException.Combine([.. problems.DistinctBy(p => p.Message)]);
        }
        AcmeSlot?[] acme = [.. options.Sites.Select(s => s.TlsAcme && options.Acme is { } settings ? AcmeConfig.Slot(settings, s, options.KernelTls, options.OffersHttp2) : null)];
        CertificateContext? fallback = top ?? perSite.FirstOrDefault(c => c is not null);
        if (fallback is null && acme.Any(a => a is not null))
        {
            // Only ACME sites: the listener's context has no certificate of its own, and SNI picks each site's.
            fallback = CertificateContext.Bare(options.KernelTls, options.OffersHttp2);
            owned[("", "")] = fallback;
        }
        return fallback is null ? null : new TlsSites(fallback, perSite, hosts, options.KernelTls, [.. owned.Values], acme);
    }

    /// <summary>A credential's path (unexpanded, or under the credentials directory) that cannot be read here.</summary>
    private static bool Unreadable(string path)
    {
        string? directory = Environment.GetEnvironmentVariable(CredentialsVariable);
        bool credential = CredentialsPrefixes.Any(p => path.StartsWith(p, StringComparison.Ordinal)) ||
                          !string.IsNullOrEmpty(directory) && path.StartsWith(directory.TrimEnd('/') + "/", StringComparison.Ordinal);
        if (!credential) return false;
        try
        {
            using FileStream stream = File.OpenRead(path);
            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>For --check-config: a certificate past its end (an error: browsers refuse it) or not yet valid.</summary>
    public static List<ConfigException> CertificateErrors(ServerOptions options, TlsSites? tls, DateTimeOffset now)
    {
        var problems = new List<ConfigException>();
        foreach ((SitePolicy site, CertificateContext context) in Pairs(options, tls))
        {
            if (context.NotAfter < now)
                problems.Add(new ConfigException(site.ConfigPath + ":Tls", $"certificate {context.CertificatePath} expired on {context.NotAfter:yyyy-MM-dd HH:mm} UTC"));
            else if (context.NotBefore > now)
                problems.Add(new ConfigException(site.ConfigPath + ":Tls", $"certificate {context.CertificatePath} is not valid before {context.NotBefore:yyyy-MM-dd HH:mm} UTC"));
        }
        return [.. problems.DistinctBy(p => p.Message)];
    }

    /// <summary>For --check-config: a site whose certificate (its own, or the default one it is served with) names
    /// none of the site's hosts (clients would refuse it, but the operator may be about to change the names or
    /// serve that site over plain HTTP only, so it is not fatal).</summary>
    public static IEnumerable<string> NameWarnings(ServerOptions options, TlsSites? tls)
    {
        if (tls is null) yield break;
        for (int i = 0; i < options.Sites.Count; i++)
        {
            SitePolicy site = options.Sites[i];
            CertificateContext context = tls.ForSite(i);
            if (site.Hosts.Length == 0 || site.TlsAcme || site.Hosts.Any(context.Covers)) continue;
            string names = context.Names.Count == 0 ? "no DNS names" : string.Join(", ", context.Names);
            string which = site.TlsCertificate is null
                ? $"{site.ConfigPath}: has no Tls of its own, and the default certificate {context.CertificatePath}"
                : $"{site.ConfigPath}:Tls: certificate {context.CertificatePath}";
            yield return $"{which} covers none of the site's hosts ({string.Join(", ", site.Hosts)}); it names {names}";
        }
    }

    /// <summary>Each site's certificate expiry by its metrics label (first host name, "_" for the default site);
    /// sites without their own certificate are served with the default one and reported with it.</summary>
    public static IEnumerable<(string Site, DateTimeOffset NotAfter)> Expiries(ServerOptions options, TlsSites? tls)
    {
        if (tls is null) yield break;
        if (options.ServesDefault && tls.Default.NotAfter != DateTimeOffset.MinValue) yield return ("_", tls.Default.NotAfter);
        for (int i = 0; i < options.Sites.Count; i++)
        {
            // An ACME site waiting for its first certificate has none to report.
            if (tls.ForSite(i).NotAfter == DateTimeOffset.MinValue) continue;
            yield return (System.Text.Encoding.ASCII.GetString(options.Sites[i].LogName), tls.ForSite(i).NotAfter);
        }
    }

    private static IEnumerable<(SitePolicy, CertificateContext)> Pairs(ServerOptions options, TlsSites? tls)
    {
        if (tls is null) yield break;
        if (options.Site.TlsCertificate is not null) yield return (options.Site, tls.Default);
        for (int i = 0; i < options.Sites.Count; i++)
        {
            if (options.Sites[i].TlsCertificate is not null) yield return (options.Sites[i], tls.ForSite(i));
        }
    }
}

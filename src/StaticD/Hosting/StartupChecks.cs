using System.Globalization;
using System.Net;
using System.Text;
using StaticD.Files;
using StaticD.Interop;
using StaticD.Net;
using StaticD.Site;

namespace StaticD.Hosting;

/// <summary>
/// What start-up would find beyond the configuration's own values. Errors (files named by ErrorPages and
/// SpaFallback that are not in the site's root) stop start-up, a reload and <c>--check-config</c> alike, one line
/// per problem. Warnings (a Listen address this host does not have yet, a privileged port without the privilege)
/// are only reported by <c>--check-config</c>: the address may appear later, the privilege may come from the unit.
/// </summary>
internal static class StartupChecks
{
    /// <summary>The privileged-port capability's bit in CapEff (linux/capability.h).</summary>
    private const int CapNetBindService = 10;

    /// <summary><see cref="ServerOptions.OpenContext"/>, then the files the sites name checked in the roots just
    /// opened; throws <see cref="ConfigException"/> (every problem) with nothing left open.</summary>
    public static ServeContext OpenContext(ServerOptions options, Files.Compressor? previous = null)
    {
        ServeContext context = options.OpenContext(previous);
        List<ConfigException> problems = Errors(context);
        if (problems.Count == 0) return context;
        context.Dispose();
        throw ConfigException.Combine(problems);
    }

    /// <summary>Every ErrorPages and SpaFallback file that is not a regular file in its site's root.</summary>
    public static List<ConfigException> Errors(ServeContext context)
    {
        var problems = new List<ConfigException>();
        IEnumerable<ServedSite> sites = context.Default is null ? context.Sites : [.. context.Sites, context.Default];
        foreach (ServedSite site in sites)
        {
            if (site.Root is null) continue;
            SitePolicy policy = site.Policy;
            foreach ((int status, byte[] page) in policy.ErrorPages.OrderBy(p => p.Key))
                Check(site.Root, page, policy.ErrorPageKeys.GetValueOrDefault(status, $"{policy.ConfigPath}:ErrorPages:{status}"), problems);
            if (policy.SpaFallback is byte[] fallback)
                Check(site.Root, fallback, policy.SpaFallbackKey ?? $"{policy.ConfigPath}:SpaFallback", problems);
        }
        // A page inherited from the top level by several sites with the same root is one problem, said once.
        return [.. problems.DistinctBy(p => (p.Key, p.Message))];
    }

    /// <summary>Resolved exactly as a request would be (beneath the open root, symlinks out of it refused).</summary>
    private static void Check(SiteRoot root, byte[] path, string key, List<ConfigException> problems)
    {
        FileResolution file = default;
        file.Reset();
        FileResolver.Resolve(root.Fd, path, ref file);
        if (file.Fd >= 0) Syscall.Close(file.Fd);
        if (file.Status == 200) return;
        string name = Encoding.UTF8.GetString(path);
        string problem = file switch
        {
            { Status: 301 } or { IsDirectoryWithoutIndex: true } or { Errno: Errno.EISDIR } => "is a directory",
            { Errno: Errno.ENOENT or Errno.ENOTDIR } => "does not exist",
            { Errno: Errno.None } => "is not a regular file",
            { Errno: Errno.EXDEV or Errno.ELOOP } => "leads out of the root (a symbolic link)",
            _ => $"cannot be opened ({file.Errno.Describe()})",
        };
        problems.Add(new ConfigException(key, $"\"{name}\" {problem} in {root.Path}; expected a readable file inside the site's root"));
    }

    /// <summary>Problems that need not be fatal now, each a whole line for stderr.</summary>
    public static List<string> Warnings(ServerOptions options, string configPath)
    {
        var warnings = new List<string>();
        if (!options.ListenIsDefault)
        {
            for (int i = 0; i < options.Listen.Count; i++)
            {
                IPAddress address = options.Listen[i];
                if (IsOnThisHost(address)) continue;
                string key = i < options.ListenKeys.Count ? options.ListenKeys[i] : "StaticD:Listen";
                warnings.Add($"staticd: warning: {configPath}: {key}: {address} is not an address of this host (yet); start-up will fail until it is");
            }
        }
        int unprivilegedStart = ReadUnprivilegedPortStart();
        if (options.Port < unprivilegedStart && !MayBindPrivilegedPorts())
        {
            warnings.Add($"staticd: warning: {configPath}: {ServerOptions.Section}:Port: {options.Port} is a privileged port " +
                         $"(below net.ipv4.ip_unprivileged_port_start, {unprivilegedStart}) and this process has no CAP_NET_BIND_SERVICE; " +
                         "start-up will fail unless staticd runs with that capability (AmbientCapabilities= in its unit) or as root");
        }
        return warnings;
    }

    /// <summary>A bind to the address with port 0 succeeds only if one of this host's interfaces has it (port 0:
    /// never in use, so a running staticd does not make the check fail).</summary>
    private static bool IsOnThisHost(IPAddress address)
    {
        try
        {
            Listener.Bind(new IPEndPoint(address, 0), reusePort: false).Dispose();
            return true;
        }
        catch (ListenException ex)
        {
            return ex.Errno is not (Errno.EADDRNOTAVAIL or Errno.EAFNOSUPPORT);
        }
    }

    /// <summary>Ports below this need CAP_NET_BIND_SERVICE; 1024 unless the sysctl says otherwise.</summary>
    private static int ReadUnprivilegedPortStart()
    {
        try
        {
            string text = File.ReadAllText("/proc/sys/net/ipv4/ip_unprivileged_port_start").Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int start) ? start : 1024;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 1024;
        }
    }

    /// <summary>CAP_NET_BIND_SERVICE in the effective set (root normally has it; root in a container that dropped
    /// it does not). Without /proc, being root is taken as having it.</summary>
    internal static bool MayBindPrivilegedPorts()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("CapEff:", StringComparison.Ordinal)) continue;
                if (ulong.TryParse(line.AsSpan("CapEff:".Length).Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong caps))
                    return (caps & (1UL << CapNetBindService)) != 0;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return Environment.IsPrivilegedProcess;
    }
}

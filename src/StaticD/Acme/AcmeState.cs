using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Win32.SafeHandles;
using StaticD.Interop;

namespace StaticD.Acme;

/// <summary>
/// The ACME state directory (<c>$STATE_DIRECTORY/acme</c>, i.e. /var/lib/staticd/acme under the packaged unit;
/// mode 0700):
/// <code>
/// lock                          flock(2)ed by the one process that talks to the ACME server for this directory
/// account.json                  { directory, url }: the account the key is registered as, per directory URL
/// account.key.pem               the account's P-256 key (0600)
/// certificates/HOST/cert.pem    the issued chain for the site whose first host is HOST
/// certificates/HOST/key.pem     its key (0600)
/// certificates/HOST/order.json  the order in flight (resumed after a restart) and the failure history
/// certificates/HOST/key.pending.pem   the key of the order in flight's CSR (0600), until its certificate arrives
/// </code>
/// Every file is written atomically: a temporary file, fsync, rename, fsync of the directory.
/// </summary>
internal sealed class AcmeState(string root)
{
    public string Root { get; } = root;

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = Private | UnixFileMode.UserExecute;

    /// <summary>Where the state lives without Acme:StateDirectory: under systemd's StateDirectory= (its first
    /// entry), else /var/lib/staticd/acme.</summary>
    public static string DefaultRoot(string? stateDirectoryVariable)
    {
        string first = (stateDirectoryVariable ?? "").Split(':')[0];
        return Path.Combine(Path.IsPathFullyQualified(first) ? first : "/var/lib/staticd", "acme");
    }

    public string CertificateDirectory(string name) => Path.Combine(Root, "certificates", name);
    public string CertificatePath(string name) => Path.Combine(CertificateDirectory(name), "cert.pem");
    public string KeyPath(string name) => Path.Combine(CertificateDirectory(name), "key.pem");
    private string PendingKeyPath(string name) => Path.Combine(CertificateDirectory(name), "key.pending.pem");
    private string OrderPath(string name) => Path.Combine(CertificateDirectory(name), "order.json");

    /// <summary>Creates the directory (0700) and takes its lock; null when another process holds it (it does the
    /// ACME work for this directory; this one only serves what is there). Throws IOException when the directory
    /// cannot be created or locked for another reason.</summary>
    public SafeFileHandle? Lock()
    {
        CreatePrivateDirectory(Root);
        CreatePrivateDirectory(Path.Combine(Root, "certificates"));
        string path = Path.Combine(Root, "lock");
        SafeFileHandle? held = Syscall.TryLockFile(path, out Errno errno);
        if (held is not null || errno == Errno.EAGAIN) return held;
        throw new IOException($"flock {path}: {errno.Describe()}");
    }

    public AccountKey LoadOrCreateAccountKey()
    {
        string path = Path.Combine(Root, "account.key.pem");
        if (File.Exists(path)) return AccountKey.FromPem(File.ReadAllText(path));
        AccountKey key = AccountKey.Create();
        WriteAtomic(path, key.ExportPem());
        return key;
    }

    /// <summary>The account URL registered with <paramref name="directory"/>, or null (another directory, or none).</summary>
    public string? AccountUrl(string directory) =>
        Read(Path.Combine(Root, "account.json"), AcmeJson.Default.AccountRecord) is { } a && a.Directory == directory ? a.Url : null;

    public void SaveAccount(string directory, string url) =>
        WriteAtomic(Path.Combine(Root, "account.json"), JsonSerializer.Serialize(new AccountRecord { Directory = directory, Url = url }, AcmeJson.Default.AccountRecord));

    public OrderRecord Order(string name) => Read(OrderPath(name), AcmeJson.Default.OrderRecord) ?? new OrderRecord();

    public void SaveOrder(string name, OrderRecord record)
    {
        CreatePrivateDirectory(CertificateDirectory(name));
        WriteAtomic(OrderPath(name), JsonSerializer.Serialize(record, AcmeJson.Default.OrderRecord));
    }

    public string? PendingKey(string name) => File.Exists(PendingKeyPath(name)) ? File.ReadAllText(PendingKeyPath(name)) : null;

    public void SavePendingKey(string name, string pem)
    {
        CreatePrivateDirectory(CertificateDirectory(name));
        WriteAtomic(PendingKeyPath(name), pem);
    }

    /// <summary>The new certificate takes over: key first, then chain (a crash between the two leaves a pair that
    /// does not match, which the load refuses, and the site is ordered for again), then the pending key goes.</summary>
    public void SaveCertificate(string name, string chainPem, string keyPem)
    {
        CreatePrivateDirectory(CertificateDirectory(name));
        WriteAtomic(KeyPath(name), keyPem);
        WriteAtomic(CertificatePath(name), chainPem);
        File.Delete(PendingKeyPath(name));
    }

    private static T? Read<T>(string path, JsonTypeInfo<T> type) where T : class
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), type);
        }
        catch (JsonException)
        {
            return null; // a damaged record is as good as none: the worker starts over (a new order, a new account lookup)
        }
    }

    private static void CreatePrivateDirectory(string path)
    {
        Directory.CreateDirectory(path);
        // Made private before anything is written into it (and an existing one made so too).
        Errno errno = Syscall.ChangeMode(path, PrivateDirectory);
        if (errno != Errno.None) throw new IOException($"chmod {path}: {errno.Describe()}");
    }

    /// <summary>Temporary file (0600 before it holds anything), fsync, rename over the target, fsync of the
    /// directory: a crash leaves the old file or the new one, never half of one.</summary>
    internal static void WriteAtomic(string path, string text)
    {
        string directory = Path.GetDirectoryName(path)!;
        string temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
            {
                Errno chmod = Syscall.ChangeMode(temporary, Private);
                if (chmod != Errno.None) throw new IOException($"chmod {temporary}: {chmod.Describe()}");
                stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        Errno errno = Syscall.SyncDirectory(directory);
        if (errno != Errno.None) throw new IOException($"fsync {directory}: {errno.Describe()}");
    }
}

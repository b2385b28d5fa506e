using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using StaticD.Acme;
using Xunit;

namespace StaticD.Tests.Acme;

[SupportedOSPlatform("linux")]
public sealed class AcmeStateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("staticd-acme-state-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public void OneHolderOfTheLockAtATime()
    {
        var state = new AcmeState(Path.Combine(_dir, "acme"));
        using (SafeFileHandle? first = state.Lock())
        {
            Assert.NotNull(first);
            Assert.Null(state.Lock()); // another open file description: refused while the first holds it
        }
        using SafeFileHandle? again = state.Lock();
        Assert.NotNull(again);
        Assert.Equal(Private | UnixFileMode.UserExecute, File.GetUnixFileMode(state.Root));
        Assert.Equal(Private | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(state.Root, "certificates")));
        Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(state.Root, "lock")));
    }

    [Fact]
    public void AccountKeyIsCreatedOncePrivately()
    {
        var state = new AcmeState(_dir);
        using AccountKey key = state.LoadOrCreateAccountKey();
        using AccountKey same = state.LoadOrCreateAccountKey();
        Assert.Equal(key.Thumbprint, same.Thumbprint);
        Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(_dir, "account.key.pem")));
        Assert.Null(state.AccountUrl("https://acme.test/dir"));
        state.SaveAccount("https://acme.test/dir", "https://acme.test/acct/1");
        Assert.Equal("https://acme.test/acct/1", state.AccountUrl("https://acme.test/dir"));
        Assert.Null(state.AccountUrl("https://other.test/dir")); // registered with another server
    }

    [Fact]
    public void OrderAndCertificateFilesAreWrittenWhole()
    {
        var state = new AcmeState(_dir);
        Assert.Null(state.Order("example.test").Url);
        var record = new OrderRecord { Url = "https://acme.test/order/1", Names = ["example.test"], ConsecutiveFailures = 2 };
        state.SaveOrder("example.test", record);
        OrderRecord read = state.Order("example.test");
        Assert.Equal(record.Url, read.Url);
        Assert.Equal(["example.test"], read.Names);
        Assert.Equal(2, read.ConsecutiveFailures);

        state.SavePendingKey("example.test", "KEY");
        Assert.Equal("KEY", state.PendingKey("example.test"));
        state.SaveCertificate("example.test", "CHAIN", "KEY");
        Assert.Null(state.PendingKey("example.test"));
        Assert.Equal("CHAIN", File.ReadAllText(state.CertificatePath("example.test")));
        Assert.Equal(Private, File.GetUnixFileMode(state.KeyPath("example.test")));
        Assert.Empty(Directory.GetFiles(state.CertificateDirectory("example.test"), ".*.tmp"));

        File.WriteAllText(Path.Combine(state.CertificateDirectory("example.test"), "order.json"), "{ damaged");
        Assert.Null(state.Order("example.test").Url); // as good as none: a new order follows
    }
}

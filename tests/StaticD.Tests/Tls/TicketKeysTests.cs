using Microsoft.Extensions.Time.Testing;
using StaticD.Tls;
using Xunit;

namespace StaticD.Tests.Tls;

public sealed class TicketKeysTests
{
    private static (byte[] Name, byte[] Aes, byte[] Hmac) Current(TicketKeys keys)
    {
        byte[] name = new byte[16], aes = new byte[32], hmac = new byte[32];
        keys.Current(name, aes, hmac);
        return (name, aes, hmac);
    }

    private static (int Found, byte[] Aes, byte[] Hmac) Find(TicketKeys keys, byte[] name)
    {
        byte[] aes = new byte[32], hmac = new byte[32];
        int found = keys.Find(name, aes, hmac);
        return (found, aes, hmac);
    }

    [Fact]
    public void TheCurrentKeyOpensItsOwnTickets()
    {
        var keys = new TicketKeys(new FakeTimeProvider());
        (byte[] name, byte[] aes, byte[] hmac) = Current(keys);
        (int found, byte[] foundAes, byte[] foundHmac) = Find(keys, name);
        Assert.Equal(1, found);
        Assert.Equal(aes, foundAes);
        Assert.Equal(hmac, foundHmac);
        Assert.NotEqual(aes, hmac);
    }

    [Fact]
    public void AfterRotationTheOldKeyStillOpensButAsksForRenewal()
    {
        var time = new FakeTimeProvider();
        var keys = new TicketKeys(time);
        (byte[] oldName, byte[] oldAes, _) = Current(keys);
        time.Advance(TicketKeys.RotateAfter);
        (byte[] newName, _, _) = Current(keys);
        Assert.NotEqual(oldName, newName);
        (int found, byte[] aes, _) = Find(keys, oldName);
        Assert.Equal(2, found);
        Assert.Equal(oldAes, aes);
        Assert.Equal(1, Find(keys, newName).Found);
    }

    [Fact]
    public void AKeyTwoRotationsOldOrUnknownOpensNothing()
    {
        var time = new FakeTimeProvider();
        var keys = new TicketKeys(time);
        (byte[] first, _, _) = Current(keys);
        time.Advance(TicketKeys.RotateAfter);
        Current(keys);
        time.Advance(TicketKeys.RotateAfter);
        Current(keys);
        Assert.Equal(0, Find(keys, first).Found);
        Assert.Equal(0, Find(keys, new byte[16]).Found);
    }

    [Fact]
    public void WithoutAnyNewTicketTheOldKeyExpiresAnyway()
    {
        // No handshake asked for the current key for two periods: the previous key must not live on.
        var time = new FakeTimeProvider();
        var keys = new TicketKeys(time);
        (byte[] first, _, _) = Current(keys);
        time.Advance(TicketKeys.RotateAfter);
        Current(keys); // first is now the previous key
        time.Advance(TicketKeys.RotateAfter + TicketKeys.RotateAfter);
        Assert.Equal(0, Find(keys, first).Found);
    }
}

using StaticD.Files;
using StaticD.Http;
using Xunit;

namespace StaticD.Tests.Files;

/// <summary>The compression cache's budget and its least-recently-used order (second chance), in memory and on
/// disk, and the names results are stored under.</summary>
public sealed class CompressionCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("staticd-ccache-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CompressionKey Key(ulong inode, ContentCoding coding = ContentCoding.Gzip) => new(0x803, inode, 5000, 1_700_000_000, 123_456_789, coding);

    private static CompressedBody Body(ulong inode, int length) => new(Key(inode), new byte[length], length, worthless: false);

    [Fact]
    public void TheBudgetHoldsWhatFits_AndTheLeastRecentlyUsedGoesFirst()
    {
        var cache = new CompressionCache(3 * 1000 + 3 * 256, directory: null);
        CompressedBody a = Body(1, 1000), b = Body(2, 1000), c = Body(3, 1000);
        cache.Add(a);
        cache.Add(b);
        cache.Add(c);
        Assert.Same(a, cache.Find(Key(1))); // a used: b is now the least recently used
        cache.Add(Body(4, 1000));
        Assert.Null(cache.Find(Key(2)));
        Assert.True(b.Evicted);
        Assert.False(a.Evicted);
        Assert.NotNull(cache.Find(Key(3)));
        Assert.NotNull(cache.Find(Key(4)));
        Assert.True(cache.Bytes <= 3 * 1000 + 3 * 256);
    }

    [Fact]
    public void AResultLargerThanTheBudget_IsNotedAsNotWorthIt()
    {
        var cache = new CompressionCache(5000, directory: null);
        cache.Add(Body(1, 10_000));
        CompressedBody? found = cache.Find(Key(1));
        Assert.NotNull(found);
        Assert.True(found.Worthless);
        Assert.Null(found.Bytes);
    }

    [Fact]
    public void OnDisk_ResultsAreFilesThatANewCacheAdopts_AndEvictionDeletesThem()
    {
        var cache = new CompressionCache(2 * 100 + 2 * 256, _dir);
        Assert.True(cache.Write(Key(1), new byte[100]));
        cache.Add(new CompressedBody(Key(1), null, 100, worthless: false));
        File.WriteAllText(Path.Combine(_dir, Key(9).FileName + ".tmp"), "interrupted");

        var restarted = new CompressionCache(2 * 100 + 2 * 256, _dir);
        CompressedBody? adopted = restarted.Find(Key(1));
        Assert.NotNull(adopted);
        Assert.Equal(100, adopted.Length);
        Assert.False(File.Exists(Path.Combine(_dir, Key(9).FileName + ".tmp"))); // a write cut short is removed

        int fd = restarted.Open(adopted);
        Assert.True(fd >= 0);
        StaticD.Interop.Syscall.Close(fd);

        for (ulong i = 2; i <= 3; i++)
        {
            Assert.True(restarted.Write(Key(i), new byte[100]));
            restarted.Add(new CompressedBody(Key(i), null, 100, worthless: false));
        }
        // Room for two: the adopted result was used since (Find), so the one added after it goes first.
        Assert.False(adopted.Evicted);
        Assert.Null(restarted.Find(Key(2)));
        Assert.False(File.Exists(Path.Combine(_dir, Key(2).FileName)));
        Assert.True(File.Exists(Path.Combine(_dir, Key(1).FileName)));
        Assert.Equal(2, Directory.GetFiles(_dir).Length);
    }

    [Theory]
    [InlineData(1, ".gz")]
    [InlineData(2, ".br")]
    [InlineData(4, ".zst")]
    public void KeysRoundTripThroughTheirFileNames(int coding, string suffix)
    {
        var key = new CompressionKey(0xfd00000001, ulong.MaxValue, 8_388_608, -5, 999_999_999, (ContentCoding)coding);
        Assert.EndsWith(suffix, key.FileName);
        Assert.Equal(key, CompressionKey.Parse(key.FileName));
    }

    [Theory]
    [InlineData("notes.txt")]
    [InlineData("1-2-3-4.gz")]
    [InlineData("1-2-3.4.deflate")]
    [InlineData("1-2-3-4.3b9aca00.gz")] // nanoseconds of 10^9
    [InlineData("x-2-3-4.5.br")]
    public void OtherNamesAreNotKeys(string name) => Assert.Null(CompressionKey.Parse(name));
}

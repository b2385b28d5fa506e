using System.Text;
using StaticD.Http;
using Xunit;

namespace StaticD.Tests.Http;

public class AcceptEncodingTests
{
    // Sentinel for "no Accept-Encoding field at all" (InlineData cannot tell null from a missing argument).
    private const string Absent = "<absent>";

    private const string All = "br,zstd,gzip";

    private static ContentCoding Codings(string list)
    {
        ContentCoding result = ContentCoding.Identity;
        foreach (string name in list.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            result |= name switch
            {
                "br" => ContentCoding.Brotli,
                "zstd" => ContentCoding.Zstd,
                "gzip" => ContentCoding.Gzip,
                _ => throw new ArgumentException(name),
            };
        }

        return result;
    }

    /// <summary>Runs the negotiation; "identity", "406" or the chosen coding's token.</summary>
    private static string Negotiate(string header, string available)
    {
        bool present = header != Absent;
        byte[] value = present ? Encoding.ASCII.GetBytes(header) : [];
        NegotiationResult result = AcceptEncoding.Choose(value, present, Codings(available), out ContentCoding chosen);
        switch (result)
        {
            case NegotiationResult.Identity:
                Assert.Equal(ContentCoding.Identity, chosen);
                return "identity";
            case NegotiationResult.NotAcceptable:
                Assert.Equal(ContentCoding.Identity, chosen);
                return "406";
            default:
                Assert.Equal(NegotiationResult.Encoded, result);
                Assert.True(chosen is ContentCoding.Brotli or ContentCoding.Zstd or ContentCoding.Gzip);
                Assert.True((Codings(available) & chosen) != 0, "chose a variant that does not exist");
                return Encoding.ASCII.GetString(AcceptEncoding.Token(chosen));
        }
    }

    [Theory]
    // No field: identity even though every variant exists (§12.5.3 allows either; see AcceptEncoding).
    [InlineData(Absent, All, "identity")]
    [InlineData(Absent, "", "identity")]
    // Empty value: the client wants no coding.
    [InlineData("", All, "identity")]
    [InlineData("   ", All, "identity")]
    [InlineData(" , ,", All, "identity")]
    // Plain listing, case-insensitivity, x-gzip.
    [InlineData("gzip", All, "gzip")]
    [InlineData("GZIP", All, "gzip")]
    [InlineData("x-gzip", All, "gzip")]
    [InlineData("X-Gzip", "gzip", "gzip")]
    [InlineData("Br", All, "br")]
    [InlineData("zstd", "zstd", "zstd")]
    [InlineData("gzip", "br,zstd", "identity")]
    [InlineData("gzip, deflate, br, zstd", All, "br")]
    [InlineData("gzip, deflate, br, zstd", "zstd,gzip", "zstd")]
    [InlineData("gzip, deflate", "br", "identity")]
    // Weights.
    [InlineData("br;q=1.0, gzip;q=0.8", All, "br")]
    [InlineData("br;q=0.5, gzip;q=0.8", All, "gzip")]
    [InlineData("br;q=0.5, gzip;q=0.8", "br", "br")]
    [InlineData("gzip;q=0", "gzip", "identity")]
    [InlineData("gzip;q=0.000, br", "gzip", "identity")]
    [InlineData("gzip;q=0.001", "gzip", "gzip")]
    [InlineData("gzip;q=0.001, zstd;q=0.002", All, "zstd")]
    [InlineData("gzip;q=1., br;q=0.", All, "gzip")]
    [InlineData("br;Q=0.5", "br", "br")]
    [InlineData("br;q=0.5, gzip;Q=0.9", All, "gzip")]
    // Whitespace: allowed around ';' and ',' (OWS), not around '=' (malformed: refuses the coding).
    [InlineData("  gzip ;  q=0.5 ,\tbr\t;\tq=0.4  ", All, "gzip")]
    [InlineData("gzip;q = 0.5", "gzip", "identity")]
    [InlineData("gzip;q= 0.5, br;q=0.1", All, "br")]
    // Malformed weights refuse the coding they name.
    [InlineData("gzip;q=1.0000", "gzip", "identity")]
    [InlineData("gzip;q=2", "gzip", "identity")]
    [InlineData("gzip;q=0.5.", "gzip", "identity")]
    [InlineData("gzip;q=.5", "gzip", "identity")]
    [InlineData("gzip;q=1.001", "gzip", "identity")]
    [InlineData("gzip;q=", "gzip", "identity")]
    [InlineData("gzip;", "gzip", "identity")]
    [InlineData("gzip;level=9", "gzip", "identity")]
    [InlineData("gzip deflate", "gzip", "identity")]
    [InlineData("*, gzip;q=1.0000", All, "br")]
    [InlineData("*, br;q=x", "br,gzip", "gzip")]
    // ... and never refuse identity.
    [InlineData("identity;q=bogus", "", "identity")]
    [InlineData("*;q=0, identity;q=1.0000", "gzip", "identity")]
    [InlineData("*;q=0.x", "gzip", "identity")]
    // Empty elements and unknown codings are skipped.
    [InlineData(",,gzip", All, "gzip")]
    [InlineData("gzip,,", "gzip", "gzip")]
    [InlineData("compress, deflate", All, "identity")]
    [InlineData("\"gzip\", br", All, "br")]
    // Wildcard.
    [InlineData("*", All, "br")]
    [InlineData("*", "gzip", "gzip")]
    [InlineData("*", "", "identity")]
    [InlineData("*;q=0.5, gzip", All, "gzip")]
    [InlineData("br;q=0, *", All, "zstd")]
    [InlineData("*;q=0", All, "406")]
    [InlineData("*;q=0", "", "406")]
    [InlineData("*;q=0, gzip", All, "gzip")]
    [InlineData("*;q=0, identity", All, "identity")]
    [InlineData("*;q=0, identity;q=0.5, br;q=0.4", All, "identity")]
    // identity refused.
    [InlineData("identity;q=0", All, "406")]
    [InlineData("identity;q=0", "", "406")]
    [InlineData("identity;q=0, gzip", All, "gzip")]
    [InlineData("identity;q=0, gzip", "br", "406")]
    [InlineData("gzip, identity;q=0", "gzip", "gzip")]
    // identity weighted against variants; an encoded variant wins a tie.
    [InlineData("identity;q=1, gzip;q=0.5", All, "identity")]
    [InlineData("identity;q=0.5, gzip;q=0.5", All, "gzip")]
    [InlineData("identity, gzip", All, "gzip")]
    [InlineData("*;q=0.8, identity;q=0.9", All, "identity")]
    // Ties between variants: br > zstd > gzip whatever the order in the field.
    [InlineData("gzip, zstd, br", All, "br")]
    [InlineData("gzip;q=0.8, zstd;q=0.8, br;q=0.8", All, "br")]
    [InlineData("gzip, zstd", All, "zstd")]
    [InlineData("gzip;q=0.9, zstd;q=0.8, br;q=0.8", All, "gzip")]
    // Listed twice: the lowest weight counts.
    [InlineData("gzip;q=1, gzip;q=0", "gzip", "identity")]
    [InlineData("x-gzip;q=0, gzip", "gzip", "identity")]
    [InlineData("gzip;q=0.2, br;q=0.3, gzip;q=0.9", All, "br")]
    public void Chooses(string header, string available, string expected)
    {
        Assert.Equal(expected, Negotiate(header, available));
    }

    [Theory]
    [InlineData(1, "gzip", ".gz")]
    [InlineData(2, "br", ".br")]
    [InlineData(4, "zstd", ".zst")]
    [InlineData(0, "", "")]
    public void TokensAndSuffixes(int coding, string token, string suffix)
    {
        Assert.Equal(token, Encoding.ASCII.GetString(AcceptEncoding.Token((ContentCoding)coding)));
        Assert.Equal(suffix, Encoding.ASCII.GetString(AcceptEncoding.FileSuffix((ContentCoding)coding)));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(8)]
    public void TokenRejectsAnythingButOneCoding(int coding)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AcceptEncoding.Token((ContentCoding)coding).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => AcceptEncoding.FileSuffix((ContentCoding)coding).Length);
    }

    [Fact]
    public void ChoosingDoesNotAllocate()
    {
        byte[] header = "gzip;q=0.8, deflate, br;q=1.0, zstd;q=0.9, *;q=0.1, identity;q=0.5, x-gzip;q=1.0000"u8.ToArray();
        ContentCoding all = ContentCoding.Brotli | ContentCoding.Zstd | ContentCoding.Gzip;
        AcceptEncoding.Choose(header, true, all, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            AcceptEncoding.Choose(header, true, all, out _);
            AcceptEncoding.Token(ContentCoding.Zstd);
            AcceptEncoding.FileSuffix(ContentCoding.Gzip);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    // On-the-fly results use the server's configured order (Compression:Encodings) to break ties...
    [InlineData("gzip, br, zstd", "zstd")]
    [InlineData("*", "zstd")]
    [InlineData("br, gzip", "br")]
    // ...but never against the client's weights.
    [InlineData("zstd;q=0.5, gzip", "gzip")]
    [InlineData("zstd;q=0", "identity")]
    public void AGivenOrderOfPreferenceBreaksTies(string header, string expected)
    {
        ContentCoding[] order = [ContentCoding.Zstd, ContentCoding.Brotli, ContentCoding.Gzip];
        ContentCoding all = ContentCoding.Brotli | ContentCoding.Zstd | ContentCoding.Gzip;
        NegotiationResult result = AcceptEncoding.Choose(System.Text.Encoding.ASCII.GetBytes(header), true, all, order, out ContentCoding chosen);
        Assert.Equal(expected, result == NegotiationResult.Encoded ? System.Text.Encoding.ASCII.GetString(AcceptEncoding.Token(chosen)) : "identity");
    }
}

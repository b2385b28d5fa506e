using System.Globalization;
using System.Text;
using StaticD.Http;
using Xunit;

namespace StaticD.Tests.Http;

public class HttpDateTests
{
    // RFC 9110 §5.6.7's example: Sun, 06 Nov 1994 08:49:37 GMT.
    private const long RfcExample = 784_111_777;

    // 2026-01-01T00:00:00Z, a fixed "now" for the RFC 850 century rule.
    private const long Now2026 = 1_767_225_600;

    private static long Unix(int year, int month, int day, int hour = 0, int minute = 0, int second = 0)
        => new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero).ToUnixTimeSeconds();

    private static string Format(long unixSeconds)
    {
        Span<byte> buffer = stackalloc byte[HttpDate.Length];
        Assert.Equal(HttpDate.Length, HttpDate.Format(unixSeconds, buffer));
        return Encoding.ASCII.GetString(buffer);
    }

    [Theory]
    [InlineData(0L, "Thu, 01 Jan 1970 00:00:00 GMT")]
    [InlineData(RfcExample, "Sun, 06 Nov 1994 08:49:37 GMT")]
    [InlineData(-1L, "Wed, 31 Dec 1969 23:59:59 GMT")]
    [InlineData(-86_400L, "Wed, 31 Dec 1969 00:00:00 GMT")]
    [InlineData(951_782_400L, "Tue, 29 Feb 2000 00:00:00 GMT")]
    [InlineData(1_709_164_799L, "Wed, 28 Feb 2024 23:59:59 GMT")]
    [InlineData(1_709_164_800L, "Thu, 29 Feb 2024 00:00:00 GMT")]
    [InlineData(2_147_483_647L, "Tue, 19 Jan 2038 03:14:07 GMT")]
    [InlineData(2_147_483_648L, "Tue, 19 Jan 2038 03:14:08 GMT")]
    [InlineData(4_107_542_400L, "Mon, 01 Mar 2100 00:00:00 GMT")]
    [InlineData(253_402_300_799L, "Fri, 31 Dec 9999 23:59:59 GMT")]
    [InlineData(-62_135_596_800L, "Mon, 01 Jan 0001 00:00:00 GMT")]
    public void FormatsExactly(long unixSeconds, string expected)
    {
        Assert.Equal(expected, Format(unixSeconds));
    }

    [Fact]
    public void FormatMatchesDateTimeOffsetAcrossTheRange()
    {
        var random = new Random(2024);
        for (int i = 0; i < 20_000; i++)
        {
            long t = random.NextInt64(-62_135_596_800L, 253_402_300_800L);
            string expected = DateTimeOffset.FromUnixTimeSeconds(t).ToString("r", CultureInfo.InvariantCulture);
            Assert.Equal(expected, Format(t));
        }
    }

    [Fact]
    public void FormatRejectsOutOfRangeAndShortBuffers()
    {
        byte[] buffer = new byte[HttpDate.Length];
        Assert.Throws<ArgumentOutOfRangeException>(() => HttpDate.Format(-62_135_596_801L, buffer));
        Assert.Throws<ArgumentOutOfRangeException>(() => HttpDate.Format(253_402_300_800L, buffer));
        Assert.Throws<ArgumentException>(() => HttpDate.Format(0, new byte[HttpDate.Length - 1]));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(RfcExample)]
    [InlineData(-1L)]
    [InlineData(951_782_400L)]
    [InlineData(1_709_164_800L)]
    [InlineData(2_147_483_647L)]
    [InlineData(2_147_483_648L)]
    [InlineData(4_102_444_800L)]
    [InlineData(4_107_542_400L)]
    [InlineData(253_402_300_799L)]
    [InlineData(-62_135_596_800L)]
    public void RoundTrips(long unixSeconds)
    {
        byte[] buffer = new byte[HttpDate.Length];
        HttpDate.Format(unixSeconds, buffer);
        Assert.True(HttpDate.TryParse(buffer, out long parsed));
        Assert.Equal(unixSeconds, parsed);
    }

    [Fact]
    public void RoundTripsRandomTimestamps()
    {
        var random = new Random(99);
        byte[] buffer = new byte[HttpDate.Length];
        for (int i = 0; i < 20_000; i++)
        {
            long t = random.NextInt64(-62_135_596_800L, 253_402_300_800L);
            HttpDate.Format(t, buffer);
            Assert.True(HttpDate.TryParse(buffer, out long parsed), Encoding.ASCII.GetString(buffer));
            Assert.Equal(t, parsed);
        }
    }

    [Theory]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT")]
    [InlineData("Sunday, 06-Nov-94 08:49:37 GMT")]
    [InlineData("Sun Nov  6 08:49:37 1994")]
    [InlineData("Sun Nov 06 08:49:37 1994")]
    public void ParsesAllThreeFormatsOfTheRfcExample(string value)
    {
        Assert.True(HttpDate.TryParse(Encoding.ASCII.GetBytes(value), out long parsed));
        Assert.Equal(RfcExample, parsed);
    }

    [Theory]
    [InlineData("Mon, 06 Nov 1994 08:49:37 GMT")]
    [InlineData("Wednesday, 06-Nov-94 08:49:37 GMT")]
    [InlineData("Fri Nov  6 08:49:37 1994")]
    public void ToleratesAWeekdayThatDoesNotMatchTheDate(string value)
    {
        Assert.True(HttpDate.TryParse(Encoding.ASCII.GetBytes(value), out long parsed));
        Assert.Equal(RfcExample, parsed);
    }

    [Fact]
    public void ParsesEveryLongDayName()
    {
        foreach (string day in new[] { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday" })
        {
            Assert.True(HttpDate.TryParse(Encoding.ASCII.GetBytes(day + ", 06-Nov-94 08:49:37 GMT"), Now2026, out long parsed));
            Assert.Equal(RfcExample, parsed);
        }
    }

    [Fact]
    public void ParsesAsctimeWithOneDigitDays()
    {
        Assert.True(HttpDate.TryParse("Thu Jan  1 00:00:00 1970"u8, out long parsed));
        Assert.Equal(0, parsed);
        Assert.True(HttpDate.TryParse("Tue Feb 29 12:00:00 2000"u8, out parsed));
        Assert.Equal(Unix(2000, 2, 29, 12), parsed);
    }

    [Fact]
    public void LeapSecondLandsOnTheNextSecond()
    {
        Assert.True(HttpDate.TryParse("Sat, 31 Dec 2016 23:59:60 GMT"u8, out long parsed));
        Assert.Equal(Unix(2017, 1, 1), parsed);
    }

    [Theory]
    [InlineData("Sunday, 06-Nov-94 08:49:37 GMT", 1994)] // 2094 would be 68 years ahead.
    [InlineData("Sunday, 06-Nov-26 08:49:37 GMT", 2026)]
    [InlineData("Sunday, 06-Nov-00 08:49:37 GMT", 2000)]
    [InlineData("Sunday, 06-Nov-75 08:49:37 GMT", 2075)] // 49 years ahead: kept.
    [InlineData("Sunday, 01-Jan-76 00:00:00 GMT", 2076)] // Exactly 50 years ahead: not "more than".
    [InlineData("Sunday, 01-Jan-76 00:00:01 GMT", 1976)] // One second more than 50 years.
    [InlineData("Sunday, 06-Nov-99 08:49:37 GMT", 1999)]
    public void Rfc850YearsMoreThanFiftyYearsAheadAreInThePastCentury(string value, int expectedYear)
    {
        Assert.True(HttpDate.TryParse(Encoding.ASCII.GetBytes(value), Now2026, out long parsed));
        DateTimeOffset date = DateTimeOffset.FromUnixTimeSeconds(parsed);
        Assert.Equal(expectedYear, date.Year);
        Assert.Equal(value.Contains("Jan") ? 1 : 11, date.Month);
    }

    [Theory]
    [InlineData(2090, "Friday, 06-Nov-10 08:49:37 GMT", 2110)] // 20 years ahead beats 80 years back.
    [InlineData(2090, "Friday, 06-Nov-45 08:49:37 GMT", 2045)] // 2145 would be 55 years ahead.
    [InlineData(1999, "Friday, 06-Nov-05 08:49:37 GMT", 2005)]
    [InlineData(1999, "Friday, 06-Nov-60 08:49:37 GMT", 1960)]
    public void Rfc850CenturyIsASlidingWindow(int nowYear, string value, int expectedYear)
    {
        Assert.True(HttpDate.TryParse(Encoding.ASCII.GetBytes(value), Unix(nowYear, 1, 1), out long parsed));
        Assert.Equal(expectedYear, DateTimeOffset.FromUnixTimeSeconds(parsed).Year);
    }

    [Fact]
    public void Rfc850LeapDayIsCheckedInTheResolvedCentury()
    {
        // With "now" in 1940, "00" resolves to 1900 (2000 is 60 years ahead), which has no 29 February.
        long now1940 = Unix(1940, 6, 1);
        Assert.False(HttpDate.TryParse("Thursday, 29-Feb-00 00:00:00 GMT"u8, now1940, out _));

        // With "now" in 1960, 2000 is only 40 years ahead, so it wins, and 2000-02-29 exists.
        long now1960 = Unix(1960, 6, 1);
        Assert.True(HttpDate.TryParse("Tuesday, 29-Feb-00 00:00:00 GMT"u8, now1960, out long parsed));
        Assert.Equal(Unix(2000, 2, 29), parsed);
    }

    [Fact]
    public void ParsesWhatDotNetFormatsInAllThreeFormats()
    {
        var random = new Random(7);
        for (int i = 0; i < 5_000; i++)
        {
            // Within 49 years of Now2026 either way, so the RFC 850 century is unambiguous.
            long t = Now2026 + random.NextInt64(-49L * 365 * 86_400, 49L * 365 * 86_400);
            DateTimeOffset d = DateTimeOffset.FromUnixTimeSeconds(t);
            CultureInfo c = CultureInfo.InvariantCulture;
            string imf = d.ToString("ddd, dd MMM yyyy HH:mm:ss 'GMT'", c);
            string rfc850 = d.ToString("dddd, dd-MMM-yy HH:mm:ss 'GMT'", c);
            string asctime = d.ToString("ddd MMM ", c) + d.Day.ToString(c).PadLeft(2) + d.ToString(" HH:mm:ss yyyy", c);

            foreach (string value in new[] { imf, rfc850, asctime })
            {
                Assert.True(HttpDate.TryParse(Encoding.ASCII.GetBytes(value), Now2026, out long parsed), value);
                Assert.Equal(t, parsed);
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("Sun, 06 nov 1994 08:49:37 GMT")] // Month names are case-sensitive.
    [InlineData("Sun, 06 NOV 1994 08:49:37 GMT")]
    [InlineData("sun, 06 Nov 1994 08:49:37 GMT")] // Day names too.
    [InlineData("Xyz, 06 Nov 1994 08:49:37 GMT")]
    [InlineData("Sun, 06 Nov 1994 08:49:37")] // Missing GMT.
    [InlineData("Sun, 06 Nov 1994 08:49:37 UTC")]
    [InlineData("Sun, 06 Nov 1994 08:49:37 gmt")]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMTx")] // Trailing junk.
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT ")]
    [InlineData(" Sun, 06 Nov 1994 08:49:37 GMT")]
    [InlineData("Sun,  06 Nov 1994 08:49:37 GMT")] // Extra space.
    [InlineData("Sun, 06  Nov 1994 08:49:37 GMT")]
    [InlineData("Tue, 31 Feb 2015 08:49:37 GMT")] // No such day.
    [InlineData("Wed, 29 Feb 2100 00:00:00 GMT")] // 2100 is not a leap year.
    [InlineData("Sun, 31 Apr 1994 00:00:00 GMT")]
    [InlineData("Sun, 00 Nov 1994 08:49:37 GMT")]
    [InlineData("Sun, 06 Nov 1994 24:00:00 GMT")] // Hour 24.
    [InlineData("Sun, 06 Nov 1994 08:60:00 GMT")]
    [InlineData("Sun, 06 Nov 1994 08:49:61 GMT")]
    [InlineData("Sun, 06 Nov 1994 08.49.37 GMT")]
    [InlineData("Sun, 06 Nov 1994 08:49:3a GMT")]
    [InlineData("Sun, 06 Nov 1994 -8:49:37 GMT")]
    [InlineData("Sun, 6 Nov 1994 08:49:37 GMT")] // IMF-fixdate days have two digits.
    [InlineData("Sun, 06 Nov 94 08:49:37 GMT")]
    [InlineData("Sun, 06 Nov 0000 08:49:37 GMT")]
    [InlineData("Sun, 06-Nov-94 08:49:37 GMT")] // RFC 850 needs the long day name.
    [InlineData("Sunday, 6-Nov-94 08:49:37 GMT")]
    [InlineData("Sunday, 06-Nov-1994 08:49:37 GMT")]
    [InlineData("Sunday, 06 Nov 94 08:49:37 GMT")]
    [InlineData("Sunday, 06-Nov-94 08:49:37 UTC")]
    [InlineData("sunday, 06-Nov-94 08:49:37 GMT")]
    [InlineData("Sun Nov 6 08:49:37 1994")] // asctime pads the day with a space.
    [InlineData("Sun Nov  6 08:49:37 1994 ")]
    [InlineData("Sun Nov  6 08:49:37 94")]
    [InlineData("Sun Nov  6 08:49:37 1994 GMT")]
    [InlineData("Sun Nov  0 08:49:37 1994")]
    [InlineData("Sun Nov 6  08:49:37 1994")]
    [InlineData(",")]
    [InlineData("Sunday,")]
    public void RejectsInvalid(string value)
    {
        Assert.False(HttpDate.TryParse(Encoding.ASCII.GetBytes(value), out _));
        Assert.False(HttpDate.TryParse(Encoding.ASCII.GetBytes(value), Now2026, out _));
    }

    [Fact]
    public void DoesNotAllocate()
    {
        Span<byte> buffer = stackalloc byte[HttpDate.Length];
        HttpDate.Format(RfcExample, buffer);
        HttpDate.TryParse("Sunday, 06-Nov-94 08:49:37 GMT"u8, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        long sum = 0;
        for (int i = 0; i < 100; i++)
        {
            HttpDate.Format(RfcExample + i, buffer);
            HttpDate.TryParse(buffer, out long a);
            HttpDate.TryParse("Sunday, 06-Nov-94 08:49:37 GMT"u8, out long b);
            HttpDate.TryParse("Sun Nov  6 08:49:37 1994"u8, out long c);
            sum += a + b + c;
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.True(sum > 0);
    }
}

namespace StaticD.Http;

/// <summary>
/// HTTP dates (RFC 9110 §5.6.7): writes IMF-fixdate and reads all three historical formats.
/// </summary>
/// <remarks>
/// Dates are converted with integer calendar arithmetic (proleptic Gregorian, days relative to
/// 1970-01-01) instead of DateTime formatting and parsing: that cannot allocate, has no culture
/// to get wrong, and makes the accepted grammar exactly the one written here.
/// </remarks>
internal static class HttpDate
{
    /// <summary>Length in bytes of an IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".</summary>
    public const int Length = 29;

    private const long SecondsPerDay = 86_400;

    // IMF-fixdate has a four-digit year, so only 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z
    // can be written (the same range as DateTime).
    private const long MinUnixSeconds = -62_135_596_800;
    private const long MaxUnixSeconds = 253_402_300_799;

    // Three-letter names, indexed 0..6 from Sunday and 0..11 from January. They are
    // case-sensitive in RFC 9110 (%s"..." in the ABNF), so they are compared byte for byte.
    private static ReadOnlySpan<byte> DayNames => "SunMonTueWedThuFriSat"u8;
    private static ReadOnlySpan<byte> MonthNames => "JanFebMarAprMayJunJulAugSepOctNovDec"u8;

    /// <summary>
    /// Writes an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110 §5.6.7) for the Unix time;
    /// returns <see cref="Length"/> (29).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The time is outside years 0001-9999.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 29 bytes.</exception>
    public static int Format(long unixSeconds, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(unixSeconds, MinUnixSeconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(unixSeconds, MaxUnixSeconds);
        if (destination.Length < Length)
        {
            throw new ArgumentException("The destination must hold at least 29 bytes.", nameof(destination));
        }

        long days = Math.DivRem(unixSeconds, SecondsPerDay, out long secondOfDay);
        if (secondOfDay < 0)
        {
            // DivRem truncates towards zero; times before 1970 need the floor.
            days--;
            secondOfDay += SecondsPerDay;
        }

        (int year, int month, int day) = CivilFromDays(days);

        // 1970-01-01 was a Thursday (index 4); ((x % 7) + 7) % 7 keeps negative days in range.
        int weekday = (int)((((days + 4) % 7) + 7) % 7);

        Span<byte> d = destination[..Length];
        DayNames.Slice(weekday * 3, 3).CopyTo(d);
        d[3] = (byte)',';
        d[4] = (byte)' ';
        WriteDigits(d.Slice(5, 2), day);
        d[7] = (byte)' ';
        MonthNames.Slice((month - 1) * 3, 3).CopyTo(d[8..]);
        d[11] = (byte)' ';
        WriteDigits(d.Slice(12, 4), year);
        d[16] = (byte)' ';
        int seconds = (int)secondOfDay;
        WriteDigits(d.Slice(17, 2), seconds / 3600);
        d[19] = (byte)':';
        WriteDigits(d.Slice(20, 2), seconds / 60 % 60);
        d[22] = (byte)':';
        WriteDigits(d.Slice(23, 2), seconds % 60);
        d[25] = (byte)' ';
        "GMT"u8.CopyTo(d[26..]);
        return Length;
    }

    /// <summary>
    /// Parses any of the three HTTP date formats: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"),
    /// obsolete RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and ANSI C asctime
    /// ("Sun Nov  6 08:49:37 1994"). Returns false if the value is not exactly one of them.
    /// </summary>
    /// <remarks>
    /// The grammar is applied strictly (names are case-sensitive, single spaces, no surrounding
    /// whitespace: the header parser has already removed OWS), with two tolerances RFC 9110
    /// asks of recipients: the day name must be a real day name but need not match the date,
    /// and a two-digit RFC 850 year that would be more than 50 years in the future is taken
    /// from the previous century. A leap second (":60") is accepted and, as Unix time has no
    /// leap seconds, lands on the following second.
    /// </remarks>
    public static bool TryParse(ReadOnlySpan<byte> value, out long unixSeconds)
        => TryParseCore(value, nowUnixSeconds: null, out unixSeconds);

    /// <summary>
    /// As <see cref="TryParse(ReadOnlySpan{byte}, out long)"/>, but resolves RFC 850 two-digit
    /// years against <paramref name="nowUnixSeconds"/> instead of the clock, so the century
    /// rule can be tested deterministically.
    /// </summary>
    internal static bool TryParse(ReadOnlySpan<byte> value, long nowUnixSeconds, out long unixSeconds)
        => TryParseCore(value, nowUnixSeconds, out unixSeconds);

    private static bool TryParseCore(ReadOnlySpan<byte> value, long? nowUnixSeconds, out long unixSeconds)
    {
        unixSeconds = 0;
        if (value.Length == 29 && value[3] == (byte)',')
        {
            return TryParseImfFixdate(value, out unixSeconds);
        }

        if (value.Length == 24 && value[3] == (byte)' ')
        {
            return TryParseAsctime(value, out unixSeconds);
        }

        return TryParseRfc850(value, nowUnixSeconds ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds(), out unixSeconds);
    }

    // "Sun, 06 Nov 1994 08:49:37 GMT"
    private static bool TryParseImfFixdate(ReadOnlySpan<byte> v, out long unixSeconds)
    {
        unixSeconds = 0;
        if (ShortDayIndex(v[..3]) < 0
            || v[4] != (byte)' ' || v[7] != (byte)' ' || v[11] != (byte)' '
            || v[16] != (byte)' ' || v[25] != (byte)' '
            || !v[26..].SequenceEqual("GMT"u8))
        {
            return false;
        }

        int day = ParseDigits(v.Slice(5, 2));
        int month = MonthIndex(v.Slice(8, 3)) + 1;
        int year = ParseDigits(v.Slice(12, 4));
        return TryParseTime(v.Slice(17, 8), out int secondOfDay)
            && TryCompose(year, month, day, secondOfDay, out unixSeconds);
    }

    // "Sun Nov  6 08:49:37 1994"; the day of month is two digits or a space and one digit.
    private static bool TryParseAsctime(ReadOnlySpan<byte> v, out long unixSeconds)
    {
        unixSeconds = 0;
        if (ShortDayIndex(v[..3]) < 0
            || v[7] != (byte)' ' || v[10] != (byte)' ' || v[19] != (byte)' ')
        {
            return false;
        }

        int month = MonthIndex(v.Slice(4, 3)) + 1;
        int day = v[8] == (byte)' ' ? ParseDigits(v.Slice(9, 1)) : ParseDigits(v.Slice(8, 2));
        int year = ParseDigits(v.Slice(20, 4));
        return TryParseTime(v.Slice(11, 8), out int secondOfDay)
            && TryCompose(year, month, day, secondOfDay, out unixSeconds);
    }

    // "Sunday, 06-Nov-94 08:49:37 GMT"
    private static bool TryParseRfc850(ReadOnlySpan<byte> v, long nowUnixSeconds, out long unixSeconds)
    {
        unixSeconds = 0;
        int comma = v.IndexOf((byte)',');
        if (comma < 0 || !IsLongDayName(v[..comma]))
        {
            return false;
        }

        // Everything after the day name has a fixed shape: ", DD-Mon-YY HH:MM:SS GMT".
        ReadOnlySpan<byte> r = v[comma..];
        if (r.Length != 24
            || r[1] != (byte)' ' || r[4] != (byte)'-' || r[8] != (byte)'-'
            || r[11] != (byte)' ' || r[20] != (byte)' '
            || !r[21..].SequenceEqual("GMT"u8))
        {
            return false;
        }

        int day = ParseDigits(r.Slice(2, 2));
        int month = MonthIndex(r.Slice(5, 3)) + 1;
        int twoDigitYear = ParseDigits(r.Slice(9, 2));
        if (twoDigitYear < 0 || !TryParseTime(r.Slice(12, 8), out int secondOfDay))
        {
            return false;
        }

        // RFC 9110 §5.6.7: a two-digit year that appears to be more than 50 years in the future
        // is the most recent past year with the same last two digits. That is a sliding
        // window: take the latest year ending in those digits that is not more than 50 years
        // ahead of now. Candidates start in the next century and step back (at most twice).
        long nowDays = FloorDiv(nowUnixSeconds, SecondsPerDay);
        long nowSecondOfDay = nowUnixSeconds - nowDays * SecondsPerDay;
        (int nowYear, int nowMonth, int nowDay) = CivilFromDays(nowDays);

        // The same calendar moment 50 years on; 29 February moves to the 28th in a common year.
        int limitYear = nowYear + 50;
        int limitDay = Math.Min(nowDay, DaysInMonth(limitYear, nowMonth));
        long limit = DaysFromCivil(limitYear, nowMonth, limitDay) * SecondsPerDay + nowSecondOfDay;

        int year = nowYear - nowYear % 100 + 100 + twoDigitYear;

        // The day is only range-checked by TryCompose, after the century is settled, because
        // "29-Feb-00" is valid in 2000 but not in 1900. DaysFromCivil is linear in the day, so
        // an out-of-range day cannot disturb this comparison; only the month must be valid.
        if (month >= 1)
        {
            while (DaysFromCivil(year, month, day) * SecondsPerDay + secondOfDay > limit)
            {
                year -= 100;
            }
        }

        return TryCompose(year, month, day, secondOfDay, out unixSeconds);
    }

    // "HH:MM:SS", 00:00:00 to 23:59:60 (the 60 allows a leap second).
    private static bool TryParseTime(ReadOnlySpan<byte> t, out int secondOfDay)
    {
        secondOfDay = 0;
        if (t[2] != (byte)':' || t[5] != (byte)':')
        {
            return false;
        }

        int hour = ParseDigits(t[..2]);
        int minute = ParseDigits(t.Slice(3, 2));
        int second = ParseDigits(t.Slice(6, 2));
        if ((uint)hour > 23 || (uint)minute > 59 || (uint)second > 60)
        {
            return false;
        }

        secondOfDay = hour * 3600 + minute * 60 + second;
        return true;
    }

    private static bool TryCompose(int year, int month, int day, int secondOfDay, out long unixSeconds)
    {
        // A failed field parse shows up here as -1 (or 0 for an unknown month).
        if (year is < 1 or > 9999 || month is < 1 or > 12 || day < 1 || day > DaysInMonth(year, month))
        {
            unixSeconds = 0;
            return false;
        }

        unixSeconds = DaysFromCivil(year, month, day) * SecondsPerDay + secondOfDay;
        return true;
    }

    private static int ShortDayIndex(ReadOnlySpan<byte> name) => NameIndex(DayNames, name);

    private static int MonthIndex(ReadOnlySpan<byte> name) => NameIndex(MonthNames, name);

    private static int NameIndex(ReadOnlySpan<byte> names, ReadOnlySpan<byte> name)
    {
        for (int i = 0; i < names.Length; i += 3)
        {
            if (names.Slice(i, 3).SequenceEqual(name))
            {
                return i / 3;
            }
        }

        return -1;
    }

    private static bool IsLongDayName(ReadOnlySpan<byte> name)
        => name.SequenceEqual("Monday"u8)
            || name.SequenceEqual("Tuesday"u8)
            || name.SequenceEqual("Wednesday"u8)
            || name.SequenceEqual("Thursday"u8)
            || name.SequenceEqual("Friday"u8)
            || name.SequenceEqual("Saturday"u8)
            || name.SequenceEqual("Sunday"u8);

    // Value of an all-digit span, or -1 if any byte is not an ASCII digit.
    private static int ParseDigits(ReadOnlySpan<byte> digits)
    {
        int value = 0;
        foreach (byte b in digits)
        {
            uint digit = (uint)(b - '0');
            if (digit > 9)
            {
                return -1;
            }

            value = value * 10 + (int)digit;
        }

        return value;
    }

    // Writes value as exactly destination.Length decimal digits, zero-padded.
    private static void WriteDigits(Span<byte> destination, int value)
    {
        for (int i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }

    private static long FloorDiv(long a, long b)
    {
        long q = Math.DivRem(a, b, out long r);
        return r < 0 ? q - 1 : q;
    }

    private static bool IsLeapYear(int year) => year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);

    private static int DaysInMonth(int year, int month) => month switch
    {
        2 => IsLeapYear(year) ? 29 : 28,
        4 or 6 or 9 or 11 => 30,
        _ => 31,
    };

    // Days since 1970-01-01 for a proleptic Gregorian date. Howard Hinnant's days_from_civil
    // (https://howardhinnant.github.io/date_algorithms.html): it shifts the year to start in
    // March so that the leap day is the last day of the year, which removes every special case.
    private static long DaysFromCivil(int year, int month, int day)
    {
        long y = month <= 2 ? year - 1 : year;
        long era = (y >= 0 ? y : y - 399) / 400;
        long yearOfEra = y - era * 400;
        long dayOfYear = ((153 * (month > 2 ? month - 3 : month + 9)) + 2) / 5 + day - 1;
        long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146_097 + dayOfEra - 719_468;
    }

    // Inverse of DaysFromCivil (Hinnant's civil_from_days).
    private static (int Year, int Month, int Day) CivilFromDays(long days)
    {
        long z = days + 719_468;
        long era = (z >= 0 ? z : z - 146_096) / 146_097;
        long dayOfEra = z - era * 146_097;
        long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        long mp = (5 * dayOfYear + 2) / 153;
        int day = (int)(dayOfYear - (153 * mp + 2) / 5 + 1);
        int month = (int)(mp < 10 ? mp + 3 : mp - 9);
        int year = (int)(yearOfEra + era * 400 + (month <= 2 ? 1 : 0));
        return (year, month, day);
    }
}

namespace StaticD.Site;

/// <summary>The shape of a line in an access log file ("Format" of an "AccessLog" object).</summary>
internal enum AccessLogFormat
{
    /// <summary>NCSA combined, as nginx writes it (with the site in front when the configuration has Sites).</summary>
    Combined,
    /// <summary>One JSON object per line with the journal entry's field names.</summary>
    Json,
}

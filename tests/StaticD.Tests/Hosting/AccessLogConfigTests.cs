using StaticD.Hosting;
using StaticD.Site;
using Xunit;

namespace StaticD.Tests.Hosting;

/// <summary>The AccessLog key: true/false, or an object naming a file and a format; inherited whole by sites;
/// every bad value named by its key.</summary>
public sealed class AccessLogConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("staticd-accesslog-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ServerOptions Load(params (string Key, string? Value)[] values) =>
        InMemoryConfig.Load(_dir, [("StaticD:Port", "80"), ("StaticD:Root", _dir), .. values]);

    private string Error(params (string Key, string? Value)[] values)
    {
        ConfigException ex = Assert.Throws<ConfigException>(() => Load(values));
        return $"{ex.Key}: {ex.Message}";
    }

    [Fact]
    public void TrueAndAbsentMeanTheJournal_FalseMeansOff()
    {
        Assert.True(Load().Site.AccessLog);
        Assert.Null(Load().Site.AccessLogPath);
        Assert.Null(Load(("StaticD:AccessLog", "true")).Site.AccessLogPath);
        Assert.False(Load(("StaticD:AccessLog", "false")).Site.AccessLog);
    }

    [Fact]
    public void AnObjectIsAFile_WithThePackagesPathAndCombinedByDefault()
    {
        SitePolicy site = Load(("StaticD:AccessLog:Target", "file")).Site;
        Assert.True(site.AccessLog);
        Assert.Equal("/var/log/staticd/access.log", site.AccessLogPath);
        Assert.Equal(AccessLogFormat.Combined, site.AccessLogFormat);

        site = Load(("StaticD:AccessLog:Path", "/srv/logs//x/../a.log"), ("StaticD:AccessLog:Format", "json")).Site;
        Assert.Equal("/srv/logs/a.log", site.AccessLogPath); // normalised: one writer per file
        Assert.Equal(AccessLogFormat.Json, site.AccessLogFormat);

        site = Load(("StaticD:AccessLog:Target", "journal")).Site;
        Assert.True(site.AccessLog);
        Assert.Null(site.AccessLogPath);
    }

    [Fact]
    public void SitesInheritTheWholeObjectOrReplaceIt()
    {
        ServerOptions o = Load(("StaticD:AccessLog:Path", "/srv/all.log"), ("StaticD:AccessLog:Format", "combined"),
            ("StaticD:Sites:0:Hosts", "a.test"),
            ("StaticD:Sites:1:Hosts", "b.test"), ("StaticD:Sites:1:AccessLog:Path", "/srv/b.log"),
            ("StaticD:Sites:2:Hosts", "c.test"), ("StaticD:Sites:2:AccessLog", "true"),
            ("StaticD:Sites:3:Hosts", "d.test"), ("StaticD:Sites:3:AccessLog:Path", "/srv/all.log"));
        Assert.Equal("/srv/all.log", o.Sites[0].AccessLogPath);
        Assert.Equal("/srv/b.log", o.Sites[1].AccessLogPath);
        Assert.Null(o.Sites[2].AccessLogPath); // the journal: an object is never merged into a site's value
        Assert.Equal("/srv/all.log", o.Sites[3].AccessLogPath); // several sites, one file
    }

    [Fact]
    public void AValueOverridesAnObject_AsAnEnvironmentVariableOverTheFileWould()
    {
        Assert.False(Load(("StaticD:AccessLog:Path", "/srv/a.log"), ("StaticD:AccessLog", "false")).Site.AccessLog);
    }

    [Theory]
    [InlineData("StaticD:Sites:1:AccessLog:Format", "xml", "StaticD:Sites:1:AccessLog:Format: \"xml\" is not one of combined, json")]
    [InlineData("StaticD:Sites:1:AccessLog:Target", "syslog", "StaticD:Sites:1:AccessLog:Target: \"syslog\" is not one of journal, file")]
    [InlineData("StaticD:Sites:1:AccessLog:Path", "logs/access.log", "StaticD:Sites:1:AccessLog:Path: \"logs/access.log\" is not an absolute file path; expected e.g. \"/var/log/staticd/access.log\"")]
    [InlineData("StaticD:Sites:1:AccessLog:Path", "/var/log/staticd/", "StaticD:Sites:1:AccessLog:Path: \"/var/log/staticd/\" is not an absolute file path; expected e.g. \"/var/log/staticd/access.log\"")]
    [InlineData("StaticD:Sites:1:AccessLog:Buffer", "64k", "StaticD:Sites:1:AccessLog:Buffer")]
    public void BadValuesNameTheKey(string key, string value, string expected)
    {
        string error = Error(("StaticD:Sites:0:Hosts", "a.test"), ("StaticD:Sites:1:Hosts", "b.test"), (key, value));
        Assert.StartsWith(expected, error);
    }

    [Fact]
    public void PathAndFormatDoNotApplyToTheJournal()
    {
        Assert.Equal("StaticD:AccessLog:Format: applies only to \"Target\": \"file\"; the journal keeps structured fields",
            Error(("StaticD:AccessLog:Target", "journal"), ("StaticD:AccessLog:Format", "json")));
    }

    [Fact]
    public void SitesSharingAFileShareItsFormat()
    {
        Assert.Equal("StaticD:Sites:1:AccessLog:Format: \"json\" differs from \"combined\" of StaticD:Sites:0 for the same file /srv/a.log; a file is written in one format",
            Error(("StaticD:AccessLog", "false"),
                ("StaticD:Sites:0:Hosts", "a.test"), ("StaticD:Sites:0:AccessLog:Path", "/srv/a.log"),
                ("StaticD:Sites:1:Hosts", "b.test"), ("StaticD:Sites:1:AccessLog:Path", "/srv/a.log"), ("StaticD:Sites:1:AccessLog:Format", "json")));
    }
}

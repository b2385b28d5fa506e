using System.Text.RegularExpressions;
using Xunit;
using static StaticD.IntegrationTests.Compression.CompressionKit;

namespace StaticD.IntegrationTests.Compression;

/// <summary>
/// A real browser (Debian's chromium, headless; tests/install-deps.sh installs it) gets the compressed result and
/// decodes it: the page's script reads the Resource Timing entry of the script it loaded, whose encodedBodySize
/// (bytes on the wire) is below its decodedBodySize, and the script itself ran, so it decoded right.
/// </summary>
public sealed partial class BrowserTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    // Script() is word salad, not JavaScript: kept in a comment, so the one statement after it runs only if the
    // browser decoded the whole body right.
    private static readonly byte[] Library = [.. "/*\n"u8.ToArray(), .. Script(120 * 1024, 80), .. "\n*/\nwindow.libraryLoaded = true;\n"u8.ToArray()];
    private readonly WebRoot _root = new();
    private readonly StaticDProcess _server;

    public BrowserTests()
    {
        _root.AddFile("lib.js", Library);
        _root.AddFile("page.html", """
            <!DOCTYPE html><html><head><title>compression</title></head><body>
            <script src="/lib.js"></script>
            <script>
              const e = performance.getEntriesByType("resource").find(r => r.name.endsWith("/lib.js"));
              document.body.setAttribute("data-result",
                `loaded=${window.libraryLoaded === true} encoded=${e.encodedBodySize} decoded=${e.decodedBodySize}`);
            </script></body></html>
            """);
        _server = StaticDProcess.Start(_root);
    }

    public void Dispose()
    {
        _server.Dispose();
        _root.Dispose();
    }

    [GeneratedRegex("data-result=\"loaded=(true|false) encoded=(\\d+) decoded=(\\d+)\"")]
    private static partial Regex Result();

    [Fact]
    public async Task Chromium_GetsAndDecodesTheCompressedScript()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: tests/install-deps.sh installs Debian's chromium");
        // What Chromium asks with: every coding staticd makes is acceptable, so it gets the server's first choice.
        HttpResponse made = await PollUntilEncodedAsync(_server.Port, "/lib.js", "zstd", "gzip, deflate, br, zstd");

        string profile = Path.Combine(_root.BasePath, "chromium-profile");
        ProcessResult run = await ChildProcess.RunAsync(Chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions", $"--user-data-dir={profile}",
             "--virtual-time-budget=5000", "--dump-dom", $"http://127.0.0.1:{_server.Port}/page.html"],
            TimeSpan.FromSeconds(90));
        Assert.False(run.TimedOut, "chromium did not finish within 90 s");
        Match m = Result().Match(run.Stdout);
        Assert.True(m.Success, $"no result in the page chromium rendered (exit {run.ExitCode})\n{run.Stdout}\n{run.Stderr}");
        Assert.True(m.Groups[1].Value == "true", $"the script did not run: {m.Value}");
        long encoded = long.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        long decoded = long.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Library.Length, decoded);
        Assert.Equal(made.Body.Length, encoded); // the zstd result, byte for byte the size the poll got
    }
}

using Xunit;

namespace StaticD.IntegrationTests;

public sealed class PipeliningTests(SiteFixture site) : IClassFixture<SiteFixture>
{
    // (method, target, expected status, expected body or null for "do not check"/no body)
    private static readonly (string Method, string Target, int Status, string? Body)[] Batch =
    [
        ("GET", "/index.html", 200, Site.IndexHtml),
        ("GET", "/style.css", 200, Site.Css),
        ("HEAD", "/app.js", 200, null),
        ("GET", "/does-not-exist.html", 404, null),
        ("GET", "/data.json", 200, Site.Json),
        ("HEAD", "/index.html", 200, null),
        ("GET", "/dir/", 200, Site.DirIndexHtml),
        ("GET", "/image.svg", 200, Site.Svg),
        ("GET", "/missing/nope.txt", 404, null),
        ("GET", "/app.js", 200, Site.Js),
    ];

    private static string AllRequests() => string.Concat(Batch.Select(b => Http.Request(b.Method, b.Target)));

    [Fact]
    public async Task TenRequestsInOneWrite_AnsweredInOrder()
    {
        using var client = await site.ConnectAsync();
        await client.SendAsync(AllRequests());
        await AssertResponsesInOrder(client);
    }

    [Fact]
    public async Task TenRequestsDeliveredOneByteAtATime_AnsweredInOrder()
    {
        using var client = await site.ConnectAsync();

        // NoDelay is set by RawHttpClient, and the pause keeps the kernel from coalescing,
        // so the parser has to resume at every byte boundary.
        await client.SendByteByByteAsync(AllRequests(), TimeSpan.FromMilliseconds(1));
        await AssertResponsesInOrder(client);
    }

    private static async Task AssertResponsesInOrder(RawHttpClient client)
    {
        for (var i = 0; i < Batch.Length; i++)
        {
            var (method, target, status, body) = Batch[i];
            var r = await client.ReadResponseAsync(isHead: method == "HEAD");
            Assert.True(r.Status == status, $"response #{i} ({method} {target}): expected {status}, got {r.Status}\n{r}");
            HttpAssert.CommonHeaders(r);
            if (body is not null)
            {
                HttpAssert.Body(body, r);
            }

            if (method == "HEAD")
            {
                Assert.NotNull(r.Header("Content-Length"));
            }
        }

        // Nothing may follow the tenth response; the connection is still ours.
        Assert.False(await client.WaitForCloseAsync(TimeSpan.FromMilliseconds(300)), "server closed a pipelined keep-alive connection");
    }
}

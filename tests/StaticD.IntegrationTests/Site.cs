using System.Text;

namespace StaticD.IntegrationTests;

/// <summary>
/// Content of the general-purpose test site. Bodies are distinct per file so a response
/// served from the wrong file (or out of pipelining order) is detected.
/// </summary>
public static class Site
{
    public const string IndexHtml = "<!DOCTYPE html>\n<html><head><title>staticd</title></head><body><p>root index</p></body></html>\n";
    public const string Css = "body { color: #123456; }\n";
    public const string Js = "console.log(\"staticd js\");\n";
    public const string Json = "{\"staticd\": true}\n";
    public const string Svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>\n";
    public const string DirIndexHtml = "<!DOCTYPE html>\n<p>dir index</p>\n";
    public const string CafeText = "caf\u00e9 content\n";
    public const string SpaceText = "a file with a space\n";
    public const string RealText = "real file inside the root\n";

    // A fixed, whole-second mtime so Last-Modified can be compared exactly.
    public static readonly DateTime IndexMtime = new(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    public static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0xFF, 0x00];
    public static readonly byte[] Woff2 = [0x77, 0x4F, 0x46, 0x32, 0x00, 0x01, 0x00, 0x00, 0xFE, 0xED];
    public static readonly byte[] Wasm = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00];
    public static readonly byte[] Blob = [0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x0D, 0x0A];

    /// <summary>Unique per run: finding it in any response proves a byte escaped the root.</summary>
    public static readonly string Marker = "STATICD-SECRET-" + Guid.NewGuid().ToString("N");

    public static void Populate(WebRoot root)
    {
        root.AddFile("index.html", IndexHtml, IndexMtime);
        root.AddFile("style.css", Css);
        root.AddFile("app.js", Js);
        root.AddFile("data.json", Json);
        root.AddFile("image.svg", Svg);
        root.AddFile("image.png", Png);
        root.AddFile("font.woff2", Woff2);
        root.AddFile("module.wasm", Wasm);
        root.AddFile("blob.xyz", Blob);
        root.AddFile("dir/index.html", DirIndexHtml);
        root.AddFile("noindex/a.txt", "not an index\n");
        root.AddFile("caf\u00e9.txt", CafeText);
        root.AddFile("a b.txt", SpaceText);
        root.AddFile("sub/real.txt", RealText);
        root.AddDirectory("a");

        // Inside-root link: allowed.
        root.AddSymlink("link.txt", "sub/real.txt");

        // Everything below points outside the root and must never be served.
        root.AddOutsideFile("secret.txt", Marker + "\n");
        root.AddOutsideFile("outside/secret.txt", Marker + "\n");
        root.AddSymlink("link-out.txt", "../secret.txt");
        root.AddSymlink("linkdir", "../outside");
        root.AddSymlink("passwd", "/etc/passwd");
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}

using System.Text;
using StaticD.Site;
using Xunit;

namespace StaticD.Tests.Site;

/// <summary>
/// Miss rates over random bundler-style names and false positives over ordinary names, with a fixed seed.
/// Measured when written (200,000 names each; the code before this change in parentheses):
/// Vite/Rollup "[name]-[8 base64url]" 0.38% missed (32.8%), esbuild "[name]-[8 base32]" 3.5% (77.8%),
/// webpack "[name].[20 hex]" 0.007% (0.007%), "[name].[8 hex].{js,css,svg,woff2,png}" 1.4% (2.4%),
/// CRA "[id].[8 hex].chunk.js" 0.04% (2.3%), Next.js "/_next/static/..." 0% (0.05% to 2.3%).
/// </summary>
public class HashedNamesTests
{
    private const int Samples = 200_000;
    private const string Base64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private const string Base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const string Hex = "0123456789abcdef";
    private static readonly string[] Names = ["index", "vendor", "main", "app", "chunk", "react-dom", "a_b-Cd", "use-Auth"];
    private static readonly string[] Extensions = ["js", "css", "svg", "woff2", "png"];

    private static bool Hashed(string name) => HashedNames.LooksContentHashed(Encoding.UTF8.GetBytes(name));

    private static bool Fingerprinted(string path) => HashedNames.IsFingerprintedPath(Encoding.UTF8.GetBytes(path));

    private static double MissRate(int seed, Func<Random, string> path)
    {
        var random = new Random(seed);
        int missed = 0;
        for (int i = 0; i < Samples; i++)
        {
            if (!Fingerprinted(path(random)))
            {
                missed++;
            }
        }

        return (double)missed / Samples;
    }

    private static string Random(Random random, string alphabet, int length)
    {
        var chars = new char[length];
        for (int i = 0; i < length; i++)
        {
            chars[i] = alphabet[random.Next(alphabet.Length)];
        }

        return new string(chars);
    }

    private static string Name(Random r) => Names[r.Next(Names.Length)];

    private static string Ext(Random r) => Extensions[r.Next(Extensions.Length)];

    [Fact]
    public void ViteHashesAreRecognised() =>
        Assert.InRange(MissRate(1, r => $"/assets/{Name(r)}-{Random(r, Base64Url, 8)}.{Ext(r)}"), 0, 0.006);

    [Fact]
    public void AstroDotHashesAreRecognised() =>
        Assert.InRange(MissRate(2, r => $"/_astro/{Name(r)}.{Random(r, Base64Url, 8)}.{Ext(r)}"), 0, 0.006);

    [Fact]
    public void EsbuildHashesAreRecognised() =>
        Assert.InRange(MissRate(3, r => $"/out/{Name(r)}-{Random(r, Base32, 8)}.{Ext(r)}"), 0, 0.05);

    [Fact]
    public void WebpackHashesAreRecognised()
    {
        Assert.InRange(MissRate(4, r => $"/{Name(r)}.{Random(r, Hex, 20)}.js"), 0, 0.0005);
        Assert.InRange(MissRate(5, r => $"/{Name(r)}.{Random(r, Hex, 16)}.js"), 0, 0.0005);
        Assert.InRange(MissRate(6, r => $"/{Name(r)}-{Random(r, Hex, 20)}.js"), 0, 0.0005);
        // Letters only (0.04%) and, for files other than scripts and style sheets, digits only (2.3%) are left out.
        Assert.InRange(MissRate(7, r => $"/static/media/{Name(r)}.{Random(r, Hex, 8)}.{Ext(r)}"), 0, 0.02);
        Assert.InRange(MissRate(8, r => $"/static/js/{r.Next(1000)}.{Random(r, Hex, 8)}.chunk.js"), 0, 0.001);
    }

    [Fact]
    public void NextJsOutputIsRecognised()
    {
        Assert.Equal(0, MissRate(9, r => $"/_next/static/chunks/{Name(r)}-{Random(r, Hex, 16)}.js"));
        Assert.Equal(0, MissRate(10, r => $"/_next/static/css/{Random(r, Hex, 16)}.css"));
        Assert.Equal(0, MissRate(11, r => $"/_next/static/media/{Name(r)}.{Random(r, Hex, 8)}.woff2"));
        Assert.Equal(0, MissRate(12, r => $"/docs/_next/static/{Random(r, Base64Url, 21)}/_buildManifest.js"));
    }

    [Theory]
    [InlineData("index-CKykrFuJ.js")]
    [InlineData("index-CJ-nxh_-.css")]
    [InlineData("vendor-a_b-Cd3f.js")]
    [InlineData("index--abcdEF1.js")]
    [InlineData("app-5XQZ2JDN.js")]
    [InlineData("image-CQFGD2NG.png")]
    [InlineData("index.DRf8L97S.js")]
    [InlineData("main.12345678.chunk.js")]
    [InlineData("app.12345678.js")]
    [InlineData("737.369f7de648bf93bd.js")]
    [InlineData("main-app-369f7de648bf93bd.js")]
    [InlineData("a1b2c3d4e5f6a7b8.css")]
    [InlineData("inter.5d5d9eef.woff2")]
    public void BundlerNames(string name) => Assert.True(Hashed(name), name);

    [Theory]
    [InlineData("/_next/static/chunks/pages/_app-369f7de648bf93bd.js")]
    [InlineData("/_next/static/Bz7YnFZ9Q2sJ_pT4xLm0a/_buildManifest.js")]
    [InlineData("/_next/static/Bz7YnFZ9Q2sJ_pT4xLm0a/_ssgManifest.js")]
    public void NextJsPaths(string path) => Assert.True(Fingerprinted(path), path);

    [Fact]
    public void NoOrdinaryNameIsTakenForHashed()
    {
        var wrong = OrdinaryNames().Where(Hashed).Take(300).ToList();
        Assert.True(wrong.Count == 0, "taken for hashed: " + string.Join(" ", wrong));
    }

    [Fact]
    public void SampleSiteHasNoHashedNames()
    {
        string root = Path.Combine(RepositoryRoot(), "sample-site");
        string[] files = Directory.GetFiles(root, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            string path = "/" + Path.GetRelativePath(root, file).Replace('\\', '/');
            Assert.False(Fingerprinted(path), path);
        }
    }

    [Fact]
    public void DoesNotAllocate()
    {
        byte[][] names = [.. OrdinaryNames().Take(2000).Concat(["index-CJ-nxh_-.css", "/_next/static/x/a.js"]).Select(Encoding.UTF8.GetBytes)];
        foreach (byte[] n in names)
        {
            HashedNames.IsFingerprintedPath(n);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (byte[] n in names)
        {
            HashedNames.IsFingerprintedPath(n);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static string RepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "StaticD.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("StaticD.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Common English words (many of 8 letters, the length of a Vite or esbuild hash) in the shapes
    /// file names take, and real-world names of libraries, icons and documents.</summary>
    private static IEnumerable<string> OrdinaryNames()
    {
        string[] words = Words.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        static string Cap(string w) => char.ToUpperInvariant(w[0]) + w[1..];
        var random = new Random(42);
        foreach (string w in words)
        {
            string other = words[random.Next(words.Length)];
            yield return $"{w}.js";
            yield return $"my-{w}.js";
            yield return $"{other}-{w}.css";
            yield return $"{Cap(other)}-{Cap(w)}.js";
            yield return $"{Cap(other)}{Cap(w)}.js";
            yield return $"{other}.{w}.js";
            yield return $"{other}.{Cap(w)}.tsx.js";
            yield return $"{other}_{w}.png";
            yield return $"{w}-{other}.svg";
            yield return $"{other}-{w.ToUpperInvariant()}.md";
            yield return $"{w}-v2.js";
            yield return $"{w}-{random.Next(100)}.js";
            yield return $"{Cap(w)}{random.Next(10)}.js";
            yield return $"{other}-{Cap(w)}-{random.Next(10)}.png";
            yield return $"{w}.min.js";
            yield return $"{w}.bundle.min.js";
            yield return $"{w}-2024-01-31.pdf";
            yield return $"{w}.20240131.pdf";
            yield return $"{w}-32x32.png";
        }

        foreach (string name in Fixed.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            yield return name;
        }
    }

    private const string Fixed = """
        my-component.js UserProfile-Card.tsx.js jquery-3.7.1.min.js bootstrap.bundle.min.js font-awesome.css README.md
        favicon-32x32.png favicon-16x16.png apple-touch-icon.png android-chrome-192x192.png android-chrome-512x512.png
        logo-dark.svg logo-light.svg index.html main.css report-2024-01-31.pdf app-v2.js sw.js manifest.webmanifest
        site.webmanifest robots.txt sitemap.xml browserconfig.xml mstile-150x150.png safari-pinned-tab.svg
        wallpaper-1024x768.jpg wallpaper-1920x1080.jpg hero-1280x720.webp IMG_20240101_123456.jpg DSC01234.JPG
        photo_2024-01-01.png report.20240101.pdf invoice-20240131.pdf 12345678.js deadbeef.js 3F9A1C2B.js
        Roboto-Regular.ttf Roboto-Bold.woff2 Inter-Variable.woff2 OpenSans-SemiBold.ttf NotoSans-Regular.woff2
        materialdesignicons-webfont.woff2 fontawesome-webfont.woff2 fa-solid-900.woff2 fa-brands-400.woff2
        font-awesome-4.7.0.min.css chunk-vendors.js chunk-common.js runtime-main.js polyfills.js
        ProductCard2.js Base64Encoder.js promo-iPhone15.png intro-Section1.js x86_64-linux.tar.gz
        550e8400-e29b-41d4-a716-446655440000.png 123e4567-e89b-12d3-a456-426614174000.json
        react-dom.production.min.js vue.runtime.esm-browser.prod.js lodash.min.js moment-with-locales.min.js
        chart.umd.min.js three.module.js d3.v7.min.js highlight.min.js prism-tomorrow.css normalize.css
        tailwind.min.css bulma.min.css animate.min.css swiper-bundle.min.css leaflet-src.esm.js
        icon-arrow-up.svg icon-arrow-down.svg icon-chevron-left.svg icon-settings.svg icon-password.svg
        nav-dropdown.js modal-carousel.js user-settings.js app-settings.json page-checkout.css form-password.js
        main-keyboard.js btn-download.svg my-HTMLCard.js app-UIButton.js header-NavBar.js layout-MyAppBar.js
        gallery-Image-01.png gallery-Photo-12.jpg docs-FEATURES.md README-FEATURES.md LICENSE-APACHE.txt
        CHANGELOG.md CONTRIBUTING.md CODE_OF_CONDUCT.md SECURITY.md
        video-mp4-clip.js fix-ie11-fix.js player-h264-hd.js logo-1024x768.png theme-dark-mode.css
        2024-report.pdf v1.2.3.tar.gz app.3f9a1c2.js jquery.min.js favicon.ico apple-touch-icon-precomposed.png
        og-image.png twitter-card.png social-preview.jpg banner-homepage.jpg hero-background.jpg
        """;

    private const string Words = """
        about above absolute academy accept access account accurate achieve acoustic acquire across action active
        activity actually adapter address adjust admin advanced advice affect africa after again against agency
        agenda airplane airport alarm album alert algebra alias align allergy allow almost alone along already
        alphabet already although always amazing ambient amount analysis analytics anchor android angle animal
        animate announce annual another answer anything anywhere apparel appear applause apple approach approval
        archive argument arrange arrival arrow article artist artwork aspect assembly assets assign assistant
        athlete atlantic attach attempt attention attorney attract audience audio august author autumn available
        avatar average awesome background backpack backup badge balance balloon banana banner barcode baseball
        baseline basket bathroom battery beautiful because bedroom before behavior believe benefit between bicycle
        birthday bitmap blanket blossom bluetooth boarding bookmark bootstrap bottle bottom boulevard boundary
        bracket breadcrumb breakfast bridge briefcase brightness broadcast brochure browser brother bubble budget
        builder building bulletin business butterfly button cabinet calendar camera campaign campus canada
        candidate capacity capital caption captain carousel cartoon catalog category ceiling celebrate cellular
        century ceremony certain chairman challenge champion channel chapter charcoal checkbox checkout chemical
        chicken children chocolate christmas circle citizen classic cleaner climate clipboard clothing cloudy
        cluster coaching cocktail collapse collection college colorful columns comment commerce community company
        compare compass complete computer concert conduct conflict connect consider console constant consumer
        contact contain content contest context continue contract control convert cookies copyright corner
        cottage counter country coupon courage courses creative credits cricket criteria critical crossing
        crystal culture currency current curtain customer cycling dashboard database daughter daylight december
        decimal decision default defense delivery demand dentist departure deposit desktop dessert details
        develop diagram dialog diamond dictionary digital dinosaur direction director discount discover display
        distance district document dolphin domestic donation download dragon drawing dropdown dropzone earnings
        economy edition editor education effect elastic election electric element elephant elevator embedded
        emerald emotion employee encoding endpoint energy engine engineer enhance entrance envelope episode
        equation equipment essential evening evidence example exchange exercise expand expense explore express
        extended exterior external factory faculty failure familiar family fantasy farmhouse fashion favorite
        feature february feedback festival fiction figure filename filters finance fireplace firewall fishing
        fitness flamingo flexible floating flowchart football footer forecast foreign forest formula fortune
        forward fountain fragment framework freedom frequent friday friendly frontend function furniture future
        gallery gardening gateway general generate generous genius gesture giraffe glossary golden gradient
        graduate graphic gravity greeting grocery guidance guitar habitat halloween hamburger handbook handler
        happiness harbor hardware headline headphone headset healthy heritage highlight history holiday homepage
        horizon hospital hotline housing however humidity hundred hunting husband identity illustration
        imaging immune impact import important improve incident include income increase indicator industry
        infinite inflation informal initial injury innocent insight install instance instant insurance integer
        interest interior internal internet interval interview invoice isolated italic january jewelry journal
        journey judgment juniper justice kangaroo keyboard keyframe keynote kindness kitchen knowledge label
        landing landmark language laptop launcher layout leader learning leather lecture legacy leisure lemonade
        library license lifestyle lighting limited linkedin listener literacy loading location lockscreen logistic
        loopback lottery magazine magnetic mailbox mainland maintain majority manager manifest mapping marathon
        marketing material maximum meadow measure mechanic medicine medium meeting megaphone melody membership
        memorial message metadata midnight migration military million minimal minister minute mirror mission
        mobile modal modern moisture monday monitor monthly morning mortgage mountain movement multiple museum
        musician mystery narrative national natural navigate navbar necklace negative neighbor network neutral
        newsletter nickname nitrogen normal northern notebook notice november nowhere numeric nutrition obstacle
        occasion october offline official offset omega opacity opening operator opinion optimal orange orchestra
        ordinary organic original outdoor outline overlay overview oxygen package padding painting palette
        panorama paragraph parallel parking partner passport password pattern payment peaceful pending penguin
        percent perfect performance periodic personal petition pharmacy phone physical picture pinterest pipeline
        placeholder planet platform player pleasant plugin pocket podcast pointer politics popover popular
        portrait position positive possible postcard potential powder practice premium prepare presence preview
        previous primary princess printer priority privacy problem process produce product profile program
        progress project promise property protect protocol provider publish purchase purple puzzle quality
        quantity quarter question quickly rainbow random ranking reaction reader realtime reason receipt recent
        recipe record recovery redirect reference regional register regular relation release reminder remote
        renderer renewal repair replace reporter request research resource response restore result resume
        retail revenue reverse review revision reward rhythm ribbon rocket romantic rounded routine runtime
        safety sailing salary sandbox satellite saturday savings scanner schedule scholar science scratch screen
        scroll seafood search season second secret section security segment selector seminar semantic sender
        sentence separate sequence service session settings shadow shelter shipping shopping shortcut shoulder
        sidebar signal signature silence silver similar simple sitemap skeleton slider smooth snapshot soccer
        social software soldier solution someone sometimes southern spacing speaker special spinner spotlight
        spring sprite squirrel stadium standard starter station statistic sticker storage strategy stream street
        strength student studio subject submit success suggest summary summer sunday sunshine superior support
        surface surprise survey sweater switch symbol symptom syntax system tablet tagline takeaway talent
        teacher teaching template terminal terrace textarea texture theater thinking thousand thumbnail thursday
        ticket timeline toggle tomorrow toolbar tooltip topology tourism tracking traffic training transfer travel
        treasure triangle tropical trouble tuesday tutorial twitter typeface ultimate umbrella uniform universe
        unlimited untitled update upgrade upload username utility vacation validate variable vegetable velocity
        version vertical veteran victory viewport village vintage violet virtual visible visitor vitamin
        volcano volume volunteer waiting wallpaper warning warranty watchlist weather webinar website wedding
        wednesday weekend welcome western whatever wheelchair whisper widget wildlife window winter wireless
        without wizard wonderful workflow workshop workspace wrapper writing yearly yellow yesterday youtube
        zipper
        abstract activate addition adoption airline airspace alphabet aluminum ambition ancestor anterior aquarium
        backbone backdrop ballroom bathtub bearings beverage bindings blackout blogpost boldface borderline
        bracelet breaking brochure brownies calculus callback cardinal carriage casualty catalyst cathedral
        checksum chipmunk cinnamon clearfix codebase coloring commands commonjs compiler composer concrete
        consumer copyleft coverage criminal crossbar cupboard darkmode deadline debugger decoding defaults
        delegate designer detector diabetes directory disabled discrete doorbell doughnut download drawable
        dressing duration dynamics earphone eggplant emissive emphasis employer enclosed endpoint envelope
        ethernet evaluate eventbus exporter facebook fallback fastlane feedback fingerprint firebase flashing
        flatlist folklore fontsize footnote freezing frontend fullpage gamepad geometry gigabyte glassmorphism
        graphics greatest guardian handbook handlers hardcopy headings heatmap hedgehog helpdesk hotspot
        hydrogen iconset identify imported includes indexing informed inputbox inspired instance interact
        internal isolated joystick keystore kickstart killswitch landmark language lavender learning lifeline
        lightbox linechart listview loadmore lockfile loggedin longhand lowercase macaroni mainmenu marquee
        masonry material mediator melodies messages metadata metrics midpoint minified minimize mobility
        modeling modifier molecule momentum monorepo moonlight mousepad multiply mushroom namespace navigate
        nightly notation notified numbered observer onboarding opaque operator optimize ordering outbound
        overflow override painting pancakes pathname pavilion peaceful pedigree pinpoint playlist plumbing
        pointers polished polygon populate portable postgres powerful practice preferred prefetch preloader
        pressure printing produced profiles programs progress prompted properly provider pullquote qualify
        quantity question quickfix quotient radiance railroad rainfall readable realtime reducers redirect
        refactor referral reflects regional relative releases remember rendered repeated replica reporter
        resolver response restless retrieve reusable rotating rotation roundup routines salesman sampling
        sanitize scaffold scanning schedule scrolled seamless searcher sections selected semester sentinel
        sequence services settings shipment showcase shutdown sidebars simplify skeleton skipping slideout
        smallest snapshot snippets software solution spanning speaking specimen splitter sponsors squarely
        stacking standard starfish stepping sticker stopword strategy streamer strictly stripped stronger
        stylized subtitle suitcase sunlight superset supplier surfaces swapping switches symbolic syndrome
        tabindex tapestry taxonomy teamwork template terminal textured thankyou thematic thinking thriller
        timezone titlebar together tolerant tomorrow topology tracking trailing transmit treeview triggers
        trimming tutorial twilight typeahead uncommon underway unfolded uniforms unlocked unsigned untitled
        upcoming updating uploader uppercase usernames validate variable velocity verified vertical viewport
        vignette vineyard visitors wildcard windmill wireless wishlist workbook workflow workshop wrapping
        yearbook zeppelin
        """;
}

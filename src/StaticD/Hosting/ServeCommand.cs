using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using StaticD.Logging;
using StaticD.Net;

namespace StaticD.Hosting;

/// <summary>
/// <c>staticd serve [DIR] [--port N] [--listen ADDR]... [--spa] [--list]</c>: serve a directory from a terminal
/// with no configuration file. The command line becomes the configuration the daemon would read (StaticD:Root,
/// Port, Listen, SpaFallback, DirectoryListing) and runs through the same <see cref="ServerOptions.Load"/>,
/// <see cref="ServerOptions.OpenContext"/> and hosted <see cref="ServerService"/>; only the log differs: a start
/// line and one short line per request on stdout (<see cref="TerminalSink"/>).
/// <para>
/// Exit codes: 64 when the command line cannot be parsed (unknown option, missing value, a second DIR, serve with
/// --config); 78 when it parses but a value is refused, by the same check and with the same code as a bad value
/// in the configuration file (a DIR that does not exist or is a file, a port out of range, a listen address that
/// is not an IP address); 1 when an address cannot be bound; 0 after Ctrl-C (SIGINT) or SIGTERM.
/// </para>
/// <para>
/// StaticD__KEY environment variables apply as they do for the daemon (StaticD__Limits__MaxConnections,
/// StaticD__Loops, Logging__LogLevel__Default, …), except Root, Port and Listen, which serve always decides
/// itself (its defaults included: never every address unless --listen says so), and SpaFallback and
/// DirectoryListing when --spa or --list is given.
/// </para>
/// </summary>
internal static class ServeCommand
{
    public const int DefaultPort = 8080;

    public const string NoConfigFile =
        "staticd: serve reads no configuration file: run either \"staticd serve DIR\" or \"staticd --config PATH\"";

    /// <summary>Where the daemon names its configuration file, serve names the command line. A relative DIR is
    /// taken relative to the current directory, the "directory" of this name.</summary>
    private static string CommandLineSource => Path.Combine(Environment.CurrentDirectory, "(command line)");

    internal sealed record Arguments(string Dir, string Port, IReadOnlyList<string> Listen, bool Spa, bool List);

    public static int Run(string[] args)
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.Out.WriteLine(HelpText.Usage);
            return 0;
        }
        if (!TryParse(args, out Arguments? arguments, out string? error))
        {
            Console.Error.WriteLine(error);
            return Program.ExitUsage;
        }

        string source = CommandLineSource;
        IConfigurationRoot Configuration() => BuildConfiguration(arguments, EnvironmentSettings(), LoopbackV6Available());
        ServerOptions options;
        ServeContext context;
        AccessLogFiles? accessFiles = null;
        LogEventLevel level;
        try
        {
            IConfigurationRoot configuration = Configuration();
            options = ServerOptions.Load(configuration, source);
            level = ConfigLoader.ReadLogLevel(configuration);
            context = options.OpenContext();
            accessFiles = new AccessLogFiles(options.Loops);
            accessFiles.Attach(context);
        }
        catch (ConfigException ex)
        {
            foreach (ConfigException problem in new[] { ex }.Concat(ex.Others))
                Console.Error.WriteLine(ConfigException.OneLine($"staticd: serve: {Label(problem.Key)}{problem.Message}"));
            return Program.ExitConfig;
        }

        Program.RaiseFileLimit();
        var levelSwitch = new LoggingLevelSwitch(level);
        Serilog.ILogger serilog = new LoggerConfiguration()
            .MinimumLevel.ControlledBy(levelSwitch)
            // The host's own "failed to start" error repeats the exception reported below as one line.
            .MinimumLevel.Override("Microsoft", LogEventLevel.Fatal)
            .WriteTo.Sink(new TerminalSink(Console.Out, Console.Error))
            .CreateLogger();
        // SIGHUP re-reads the same settings: it re-opens DIR.
        var settings = new StartupSettings(source) { LoadConfiguration = () => (Configuration(), null) };
        try
        {
            using IHost host = Program.BuildHost(new LoadedConfiguration(options, context, accessFiles), settings, levelSwitch, journal: null, serilog);
            host.Start();
            Console.Out.WriteLine(StartLine(options.Root!, host.Services.GetRequiredService<ServerService>().EndPoints));
            host.WaitForShutdown();
            Console.Out.WriteLine("staticd: stopped");
            return 0;
        }
        catch (Exception ex) when (StartupFailure.Find(ex) is Exception failure)
        {
            // The daemon's one line and exit code: 69 in use or not this host's, 77 refused, 1 anything else.
            Console.Error.WriteLine(StartupFailure.Line(failure));
            return StartupFailure.ExitCode(failure);
        }
    }

    /// <summary>Reads the command line after "serve"; false with a one-line message (EX_USAGE) when it cannot be
    /// parsed. Values are not judged here: ServerOptions does, as for the configuration file.</summary>
    internal static bool TryParse(string[] args, [NotNullWhen(true)] out Arguments? arguments, [NotNullWhen(false)] out string? error)
    {
        arguments = null;
        error = null;
        string? dir = null;
        string port = DefaultPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var listen = new List<string>();
        bool spa = false, list = false, options = true;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? value = null;
            if (options && arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=') is > 2 and int eq)
            {
                value = arg[(eq + 1)..];
                arg = arg[..eq];
            }
            switch (arg)
            {
                case "--port" or "--listen" when options:
                    if (value is null)
                    {
                        if (i + 1 >= args.Length)
                        {
                            error = $"staticd: serve: {arg} needs a value";
                            return false;
                        }
                        value = args[++i];
                    }
                    if (arg == "--port") port = value;
                    else listen.Add(value);
                    break;
                case "--spa" or "--list" when options && value is null:
                    if (arg == "--spa") spa = true;
                    else list = true;
                    break;
                case "--config" or "-c" when options:
                    error = NoConfigFile;
                    return false;
                case "--" when options:
                    options = false;
                    break;
                default:
                    if (options && arg.Length > 1 && arg[0] == '-')
                    {
                        error = $"staticd: serve: unknown option \"{args[i]}\" (see staticd --help)";
                        return false;
                    }
                    if (dir is not null)
                    {
                        error = $"staticd: serve: one directory only, got \"{dir}\" and \"{arg}\"";
                        return false;
                    }
                    dir = arg;
                    break;
            }
        }
        arguments = new Arguments(dir ?? ".", port, listen, spa, list);
        return true;
    }

    /// <summary>The configuration the daemon would read for these arguments: the environment's StaticD__ and
    /// Logging__ settings, minus the keys serve decides, plus the command line's.</summary>
    internal static IConfigurationRoot BuildConfiguration(Arguments a, IEnumerable<KeyValuePair<string, string?>> environment, bool ipv6)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach ((string key, string? value) in environment)
        {
            if (value is null || Decided(key, a)) continue;
            settings[key] = value;
        }
        settings["StaticD:Root"] = a.Dir;
        settings["StaticD:Port"] = a.Port;
        IReadOnlyList<string> listen = a.Listen.Count > 0 ? a.Listen : ipv6 ? ["127.0.0.1", "::1"] : ["127.0.0.1"];
        for (int i = 0; i < listen.Count; i++) settings[$"StaticD:Listen:{i}"] = listen[i];
        if (a.Spa) settings["StaticD:SpaFallback"] = "/index.html";
        if (a.List) settings["StaticD:DirectoryListing"] = "true";
        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    private static bool Decided(string key, Arguments a)
    {
        static bool Is(string key, string name) =>
            key.Equals(name, StringComparison.OrdinalIgnoreCase) || key.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase);
        return Is(key, "StaticD:Root") || Is(key, "StaticD:Port") || Is(key, "StaticD:Listen") ||
               (a.Spa && Is(key, "StaticD:SpaFallback")) || (a.List && Is(key, "StaticD:DirectoryListing"));
    }

    /// <summary>The environment as the daemon's configuration sees it (StaticD__Port → StaticD:Port).</summary>
    private static IEnumerable<KeyValuePair<string, string?>> EnvironmentSettings()
    {
        var environment = new OpenEnvironmentProvider();
        environment.Load();
        return environment.Entries;
    }

    /// <summary>What a refused value is called on serve's command line; any other key came from the environment
    /// and is named as its variable.</summary>
    private static string Label(string? key) => key switch
    {
        null => "",
        "StaticD:Root" => "DIR: ",
        "StaticD:Port" => "--port: ",
        _ when key.StartsWith("StaticD:Listen", StringComparison.Ordinal) => "--listen: ",
        _ => "environment variable " + key.Replace(":", "__", StringComparison.Ordinal) + ": ",
    };

    /// <summary>Whether ::1 can be bound here; a host without IPv6 is served on 127.0.0.1 alone.</summary>
    private static bool LoopbackV6Available()
    {
        if (!Socket.OSSupportsIPv6) return false;
        try
        {
            using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    internal static string StartLine(string root, IReadOnlyList<IPEndPoint> endPoints)
    {
        string[] urls = [.. endPoints.Select(e => $"http://{ListenException.Format(e)}/")];
        string on = urls.Length <= 1 ? string.Concat(urls) : string.Join(", ", urls[..^1]) + " and " + urls[^1];
        return $"staticd: serving {root} on {on} (Ctrl-C to stop)";
    }
}

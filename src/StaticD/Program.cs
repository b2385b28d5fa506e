using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using StaticD.Hosting;
using StaticD.Interop;

namespace StaticD;

/// <summary>Entry point: command line, configuration, logging and host wiring. No serving logic lives here.</summary>
internal static class Program
{
    public const string DefaultConfigPath = "/etc/staticd/appsettings.json";

    // sysexits.h: what systemd and shell scripts expect from a daemon's exit code.
    public const int ExitUsage = 64;
    public const int ExitConfig = 78;

    public static string Version { get; } =
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private const string Usage = """
        Usage: staticd [--config PATH] [--check-config]
        Serve a directory over HTTP/1.1.

          --config PATH    configuration file (default: /etc/staticd/appsettings.json)
          --check-config   validate the configuration and exit: 0 if valid, 78 if not
          --help           show this help and exit
          --version        show the version and exit

        Configuration keys (section "StaticD"): Port, Root, Listen, Loops, ShutdownTimeoutSeconds, Limits.
        See staticd(8).
        """;

    public static int Main(string[] args)
    {
        string configPath = DefaultConfigPath;
        bool checkOnly = false;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--help" or "-h":
                    Console.Out.WriteLine(Usage);
                    return 0;
                case "--version" or "-V":
                    Console.Out.WriteLine($"staticd {Version}");
                    return 0;
                case "--check-config" or "-t":
                    checkOnly = true;
                    break;
                case "--config" or "-c" when i + 1 < args.Length:
                    configPath = args[++i];
                    break;
                default:
                    if (arg.StartsWith("--config=", StringComparison.Ordinal))
                    {
                        configPath = arg["--config=".Length..];
                        break;
                    }
                    Console.Error.WriteLine(arg is "--config" or "-c"
                        ? "staticd: --config needs a file path"
                        : $"staticd: unknown argument \"{arg}\"");
                    Console.Error.WriteLine(Usage);
                    return ExitUsage;
            }
        }
        configPath = Path.GetFullPath(configPath);

        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        ServerOptions options;
        ServerContext context;
        try
        {
            LoadConfiguration(builder.Configuration, configPath);
            options = ServerOptions.Load(builder.Configuration, configPath);
            context = ServerContext.Open(options);
        }
        catch (ConfigException ex)
        {
            Console.Error.WriteLine(ex.Format(configPath));
            return ExitConfig;
        }
        if (checkOnly)
        {
            context.Dispose();
            Console.Out.WriteLine($"staticd: {configPath}: configuration is valid");
            return 0;
        }

        RaiseFileLimit();
        Serilog.ILogger serilog = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .WriteTo.Console(outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}",
                standardErrorFromLevel: LogEventLevel.Verbose)
            .CreateLogger();
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(serilog, dispose: true);

        builder.Services.AddSingleton(context);
        builder.Services.AddHostedService<ServerService>();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownTimeoutSeconds + 5));
        builder.Services.AddSystemd();

        try
        {
            using IHost host = builder.Build();
            host.Run();
            return 0;
        }
        catch (Net.ListenException ex)
        {
            Console.Error.WriteLine($"staticd: {ex.Message}");
            return 1;
        }
        finally
        {
            context.Dispose();
        }
    }

    /// <summary>Loads the JSON file and environment overrides (StaticD__Port=8081, the usual .NET way), turning the
    /// provider's exceptions into one line that names the file and, for broken JSON, the position.</summary>
    private static void LoadConfiguration(ConfigurationManager configuration, string path)
    {
        if (!File.Exists(path))
            throw new ConfigException(null, Directory.Exists(path)
                ? "is a directory; expected a JSON configuration file"
                : "cannot read the configuration file: it does not exist");
        try
        {
            configuration.AddJsonFile(path, optional: false, reloadOnChange: false);
            configuration.AddEnvironmentVariables();
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or JsonException or IOException or UnauthorizedAccessException)
        {
            for (Exception? e = ex; e is not null; e = e.InnerException)
            {
                if (e is JsonException json)
                    throw new ConfigException(null,
                        $"invalid JSON at line {json.LineNumber + 1}, position {json.BytePositionInLine + 1}: {FirstSentence(json.Message)}");
            }
            throw new ConfigException(null, $"cannot read the configuration file: {FirstSentence((ex.InnerException ?? ex).Message)}");
        }
    }

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (end > 0 ? message[..end] : message).Trim();
    }

    /// <summary>Every connection is a descriptor; raise the soft limit to the hard one (nginx's
    /// worker_rlimit_nofile) so the unit's LimitNOFILE is what counts.</summary>
    private static unsafe void RaiseFileLimit()
    {
        RLimit limit;
        if (Libc.getrlimit(Libc.RLIMIT_NOFILE, &limit) == 0 && limit.Current < limit.Maximum)
        {
            limit.Current = limit.Maximum;
            Libc.setrlimit(Libc.RLIMIT_NOFILE, &limit);
        }
    }
}

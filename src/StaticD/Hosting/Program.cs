using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using StaticD.Interop;
using StaticD.Logging;
using StaticD.Net;
using StaticD.Systemd;

namespace StaticD.Hosting;

/// <summary>Entry point: command line, configuration, logging and host wiring. No serving logic lives here.</summary>
internal static class Program
{
    public const string DefaultConfigPath = "/etc/staticd/appsettings.json";

    // sysexits.h: what systemd and shell scripts expect from a daemon's exit code.
    public const int ExitUsage = 64;
    public const int ExitUnavailable = 69;
    public const int ExitNoPermission = 77;
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

        IConfigurationRoot configuration;
        ServerOptions options;
        ServeContext context;
        LogEventLevel level;
        try
        {
            configuration = ConfigLoader.Load(configPath);
            options = ServerOptions.Load(configuration, configPath);
            level = ConfigLoader.ReadLogLevel(configuration);
            context = StartupChecks.OpenContext(options);
        }
        catch (ConfigException ex)
        {
            Console.Error.WriteLine(ex.Format(configPath));
            return ExitConfig;
        }
        if (checkOnly)
        {
            context.Dispose();
            foreach (string warning in StartupChecks.Warnings(options, configPath)) Console.Error.WriteLine(warning);
            Console.Out.WriteLine($"staticd: {configPath}: configuration is valid");
            return 0;
        }

        RaiseFileLimit();
        var levelSwitch = new LoggingLevelSwitch(level);
        LoggerConfiguration logging = new LoggerConfiguration()
            .MinimumLevel.ControlledBy(levelSwitch)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            // The host logs a failed start with its stack trace; the failures caught below are said once, in one line.
            .Filter.ByExcluding(StartupFailure.IsReportedByProgram);
        // Under systemd, the native journal protocol keeps every structured property as a field; elsewhere a
        // console line. If the journal socket goes away, the sink itself falls back to stderr.
        JournalSink? journal = JournalSink.ShouldUseJournal() ? new JournalSink("staticd") : null;
        logging = journal is not null
            ? logging.WriteTo.Sink(journal)
            : logging.WriteTo.Console(outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}",
                standardErrorFromLevel: LogEventLevel.Verbose);
        Serilog.ILogger serilog = logging.CreateLogger();

        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace); // Serilog's level switch decides, and it is reloadable
        builder.Logging.AddSerilog(serilog, dispose: true);
        builder.Services.AddSingleton(new LoadedConfiguration(options, context));
        builder.Services.AddSingleton(levelSwitch);
        builder.Services.AddSingleton(new LogTargets(journal));
        builder.Services.AddSingleton(new StartupSettings(configPath));
        builder.Services.AddSingleton<ServerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ServerService>());
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownTimeoutSeconds + 5));
        builder.Services.AddSystemd();

        try
        {
            using IHost host = builder.Build();
            host.Run();
            return 0;
        }
        catch (Exception ex) when (StartupFailure.Find(ex) is Exception failure)
        {
            Console.Error.WriteLine(StartupFailure.Line(failure));
            return StartupFailure.ExitCode(failure);
        }
    }

    /// <summary>Every connection is a descriptor; raise the soft limit to the hard one (nginx's
    /// worker_rlimit_nofile) so the unit's LimitNOFILE is what counts.</summary>
    private static void RaiseFileLimit()
    {
        if (Syscall.GetOpenFileLimit(out RLimit limit) == Errno.None && limit.Current < limit.Maximum)
        {
            limit.Current = limit.Maximum;
            Syscall.SetOpenFileLimit(limit);
        }
    }
}

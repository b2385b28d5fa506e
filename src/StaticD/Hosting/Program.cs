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

    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "serve") return ServeCommand.Run(args[1..]);
        string configPath = DefaultConfigPath;
        bool configGiven = false;
        bool checkOnly = false;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--help" or "-h":
                    Console.Out.WriteLine(HelpText.Full());
                    return 0;
                case "--version" or "-V":
                    Console.Out.WriteLine($"staticd {Version}");
                    return 0;
                case "--check-config" or "-t":
                    checkOnly = true;
                    break;
                case "--config" or "-c" when i + 1 < args.Length:
                    configPath = args[++i];
                    configGiven = true;
                    break;
                case "serve":
                    ErrorOutput.Error(configGiven ? ServeCommand.NoConfigFile : "staticd: serve must be the first argument: staticd serve [DIR] [options]");
                    return ExitUsage;
                default:
                    if (arg.StartsWith("--config=", StringComparison.Ordinal))
                    {
                        configPath = arg["--config=".Length..];
                        configGiven = true;
                        break;
                    }
                    ErrorOutput.Error((arg is "--config" or "-c"
                        ? "staticd: --config needs a file path"
                        : $"staticd: unknown argument \"{arg}\"") + "\n" + HelpText.Usage);
                    return ExitUsage;
            }
        }
        configPath = Path.GetFullPath(configPath);

        // --check-config judges the file alone; only the daemon falls back to the last good copy.
        TlsConfig.CredentialsMayBeAbsent = checkOnly;
        string? stateDirectory = checkOnly ? null : LastGoodConfig.StateDirectory(Environment.GetEnvironmentVariable("STATE_DIRECTORY"));
        if (StartupConfiguration.Load(configPath, stateDirectory) is not { } start) return ExitConfig;
        ServerOptions options = start.Options;
        if (checkOnly)
        {
            // Certificates are checked for dates only here: at start an expired certificate is served (with a
            // warning) rather than taking every site down, but a check before deploying should stop the deploy.
            List<ConfigException> certificates = TlsConfig.CertificateErrors(options, start.Context.Tls, DateTimeOffset.UtcNow);
            IEnumerable<string> nameWarnings = TlsConfig.NameWarnings(options, start.Context.Tls).ToList();
            start.Context.Dispose();
            if (certificates.Count > 0)
            {
                ErrorOutput.Error(ConfigException.Combine(certificates).Format(configPath));
                return ExitConfig;
            }
            foreach (string warning in nameWarnings.Concat(TlsConfig.Unverified)) ErrorOutput.Warning($"staticd: warning: {configPath}: {warning}");
            foreach (string warning in StartupChecks.Warnings(options, configPath)) ErrorOutput.Warning(warning);
            Console.Out.WriteLine($"staticd: {configPath}: configuration is valid");
            return 0;
        }

        // Opened before the host starts, so a file that cannot be written stops start-up like any invalid value.
        var accessFiles = new AccessLogFiles(options.Loops);
        try
        {
            accessFiles.Attach(start.Context);
        }
        catch (ConfigException ex)
        {
            accessFiles.Dispose();
            start.Context.Dispose();
            ErrorOutput.Error(ex.Format(configPath));
            return ExitConfig;
        }

        RaiseFileLimit();
        var levelSwitch = new LoggingLevelSwitch(start.Level);
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

        try
        {
            var settings = new StartupSettings(configPath) { StateDirectory = stateDirectory, FallbackReason = start.FallbackReason };
            using IHost host = BuildHost(new LoadedConfiguration(options, start.Context, accessFiles) { Text = start.Text }, settings, levelSwitch,
                journal, logging.CreateLogger());
            host.Run();
            return 0;
        }
        catch (Exception ex) when (StartupFailure.Find(ex) is Exception failure)
        {
            ErrorOutput.Error(StartupFailure.Line(failure));
            return StartupFailure.ExitCode(failure);
        }
    }

    /// <summary>The one host both the daemon and <c>staticd serve</c> run: the hosted <see cref="ServerService"/>
    /// with the loaded configuration, logging through <paramref name="serilog"/>.</summary>
    internal static IHost BuildHost(LoadedConfiguration loaded, StartupSettings settings, LoggingLevelSwitch levelSwitch,
        JournalSink? journal, Serilog.ILogger serilog)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace); // Serilog's level switch decides, and it is reloadable
        builder.Logging.AddSerilog(serilog, dispose: true);
        builder.Services.AddSingleton(loaded);
        builder.Services.AddSingleton(levelSwitch);
        builder.Services.AddSingleton(new LogTargets(journal));
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<ServerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ServerService>());
        builder.Services.AddHostedService<AcmeService>();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(loaded.Options.ShutdownTimeoutSeconds + 5));
        builder.Services.AddSystemd();
        return builder.Build();
    }

    /// <summary>Every connection is a descriptor; raise the soft limit to the hard one (nginx's
    /// worker_rlimit_nofile) so the unit's LimitNOFILE is what counts.</summary>
    internal static void RaiseFileLimit()
    {
        if (Syscall.GetOpenFileLimit(out RLimit limit) == Errno.None && limit.Current < limit.Maximum)
        {
            limit.Current = limit.Maximum;
            Syscall.SetOpenFileLimit(limit);
        }
    }
}

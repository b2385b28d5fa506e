using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StaticD.Acme;

namespace StaticD.Hosting;

/// <summary>Runs the <see cref="AcmeWorker"/> beside the loops when some site has <c>"Tls": "acme"</c>, and hands
/// it the sites again after each reload (a reload keeps issued certificates, and orders only for changed names).</summary>
internal sealed class AcmeService(ServerService server, LoadedConfiguration initial, ILoggerFactory loggerFactory) : IHostedService
{
    private readonly AcmeWorker _worker = new(loggerFactory.CreateLogger("StaticD.Acme"), TimeProvider.System, server.CertificatesChanged);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _running;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Apply(initial.Options);
        server.Applied += Apply;
        _running = Task.Run(() => _worker.Run(_stopping.Token));
        return Task.CompletedTask;
    }

    private void Apply(ServerOptions options) =>
        _worker.Update(options.Acme ?? new AcmeSettings(), options.Acme is null ? [] : AcmeConfig.Targets(options));

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        server.Applied -= Apply;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_running is not null)
        {
            try
            {
                await _running.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}

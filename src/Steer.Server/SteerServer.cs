using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Console;
using Prometheus;
using Steer.Chat;
using Steer.Server.Endpoints;
using Steer.Server.Http;
using Steer.Server.Scheduling;
using Steer.Server.Steering;

namespace Steer.Server;

/// <summary>
/// The HTTP server: an OpenAI-compatible completions API with per-request steering, and the playground. The host
/// serves one loaded model; the caller keeps ownership of it and disposes it after the host has stopped.
/// </summary>
public sealed class SteerServer
{
    private SteerServer()
    {
    }

    /// <summary>A host (Kestrel on <see cref="ServerOptions.Host"/>:<see cref="ServerOptions.Port"/>) serving <paramref name="model"/>.</summary>
    /// <param name="chatTemplate">The model's chat template (<see cref="ChatTemplateSource.FromDirectory"/>), for /v1/chat/completions; without one that route says so.</param>
    public static IHostBuilder CreateHostBuilder(LanguageModel model, ServerOptions options, ChatTemplateSource? chatTemplate = null)
    {
        options.Validate();
        var endpoint = ListenAddress(options.Host);
        // Loaded before the host starts, so that a stored vector that does not load stops the start with its file's name.
        var store = options.VectorDirectory is { } directory ? new VectorStore(directory) : null;
        var stored = store?.LoadAll(model.Description) ?? [];
        return new HostBuilder()
            .ConfigureLogging(logging =>
            {
                logging
                    .AddSimpleConsole(console => console.SingleLine = true)
                    .SetMinimumLevel(LogLevel.Warning)
                    .AddFilter(RequestTelemetry.Category, LogLevel.Information)
                    // A port in use is reported by steer serve in one line; the host would add a stack trace.
                    .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
                // stdout is steer's own output (the serving line); the log goes beside the errors.
                logging.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
            })
            // In-flight requests get this long to finish when the server stops (the web server stops first, then the worker).
            .ConfigureServices(services => services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout))
            .ConfigureWebHost(web => web
                .UseKestrel(kestrel =>
                {
                    kestrel.AddServerHeader = false;
                    kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
                    kestrel.Listen(endpoint, options.Port, listen => listen.Protocols = HttpProtocols.Http1);   // h2 needs TLS, which a loopback API does without
                })
                .ConfigureServices(services =>
                {
                    services.AddRouting();
                    services.AddSingleton(options);
                    services.AddSingleton(new WorkQueue(options.MaxQueue));
                    services.AddSingleton(new VectorRegistry(options, store, stored));
                    services.AddSingleton<ServerMetrics>();
                    // Only the worker is given the model; everything else sees its description.
                    services.AddSingleton(provider => new InferenceWorker(model, options, provider.GetRequiredService<WorkQueue>(),
                        provider.GetRequiredService<VectorRegistry>(), provider.GetRequiredService<ServerMetrics>(),
                        provider.GetRequiredService<ILogger<InferenceWorker>>()));
                    services.AddHostedService(provider => provider.GetRequiredService<InferenceWorker>());
                    services.AddSingleton(provider => new ServerState(model.Description, model.Name, DateTimeOffset.UtcNow, options,
                        provider.GetRequiredService<WorkQueue>(), provider.GetRequiredService<VectorRegistry>(), provider.GetRequiredService<InferenceWorker>(),
                        chatTemplate));
                })
                .Configure(app =>
                {
                    var metrics = app.ApplicationServices.GetRequiredService<ServerMetrics>();
                    var services = app.ApplicationServices;
                    metrics.SampleOnScrape(() => services.GetRequiredService<WorkQueue>().Count,
                        () => services.GetRequiredService<InferenceWorker>().Statistics.Tokens);
                    // Outermost, so that the log line and the metrics see the final status, errors included.
                    app.UseRequestTelemetry(options, metrics);
                    app.UseApiErrors();
                    app.UseRouting();
                    // After routing, so that a refused request is still counted under its route.
                    app.UseApiKeyAuthentication(options.ApiKey);
                    app.UseEndpoints(endpoints =>
                    {
                        endpoints.MapMetrics("/metrics", metrics.Registry);
                        CompletionEndpoints.Map(endpoints);
                        ChatCompletionEndpoints.Map(endpoints);
                        ModelEndpoints.Map(endpoints);
                        VectorEndpoints.Map(endpoints);
                        PlaygroundEndpoints.Map(endpoints);
                    });
                }));
    }

    /// <summary>The base addresses a started host listens on, with the real port when <see cref="ServerOptions.Port"/> was 0.</summary>
    public static IReadOnlyList<string> Addresses(IHost host) =>
        host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    private static IPAddress ListenAddress(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var address) ? address
            : throw new SteerException(ErrorKind.InvalidArgument, $"--host '{host}': give an IP address (127.0.0.1, ::1, 0.0.0.0) or localhost");
}

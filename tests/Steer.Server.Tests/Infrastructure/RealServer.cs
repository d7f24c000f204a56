using Microsoft.Extensions.Hosting;

namespace Steer.Server.Tests.Infrastructure;

/// <summary>The server on Kestrel at 127.0.0.1 and a free port, for clients that need a real socket (the OpenAI client, a browser, the load test).</summary>
public sealed class RealServer : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly LanguageModel _model;
    private bool _stopped;

    private RealServer(IHost host, LanguageModel model, Uri address)
    {
        _host = host;
        _model = model;
        Address = address;
    }

    /// <summary>The base address, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Address { get; }

    public string ModelId => _model.Name;

    public IServiceProvider Services => _host.Services;

    public static async Task<RealServer> StartAsync(TestModel model, ServerOptions? options = null, Action<IHostBuilder>? configure = null)
    {
        var lm = model.Load();
        var builder = SteerServer.CreateHostBuilder(lm, (options ?? new ServerOptions()) with { Host = "127.0.0.1", Port = 0 },
            Steer.Chat.ChatTemplateSource.FromDirectory(model.Path));
        configure?.Invoke(builder);
        var host = builder.Build();
        await host.StartAsync();
        return new RealServer(host, lm, new Uri(SteerServer.Addresses(host).Single() + "/"));
    }

    public HttpClient CreateClient(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(2) };
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        return client;
    }

    /// <summary>Stops the host as SIGTERM would (the host's shutdown timeout applies); the model stays loaded until disposal.</summary>
    public Task StopAsync()
    {
        _stopped = true;
        return _host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped) await _host.StopAsync();
        _host.Dispose();
        _model.Dispose();
    }
}

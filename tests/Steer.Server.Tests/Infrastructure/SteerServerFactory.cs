using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;

namespace Steer.Server.Tests.Infrastructure;

/// <summary>
/// The server in memory (ASP.NET Core's TestServer) over its own loaded copy of the test model. The factory's entry
/// point is the steer CLI's assembly (the program that hosts the server: Steer.Server is a library, and
/// WebApplicationFactory insists on an assembly with an entry point); the host itself comes from
/// <see cref="SteerServer.CreateHostBuilder"/>, as <c>steer serve</c> builds it.
/// </summary>
public sealed class SteerServerFactory(TestModel model, ServerOptions? options = null) : WebApplicationFactory<Steer.Cli.CliContext>
{
    private readonly LanguageModel _model = model.Load();

    public LanguageModel Model => _model;

    protected override IHostBuilder CreateHostBuilder() =>
        SteerServer.CreateHostBuilder(_model, options ?? new ServerOptions(), Steer.Chat.ChatTemplateSource.FromDirectory(model.Path));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);   // stops the host, and with it the inference worker, before the model goes
        if (disposing) _model.Dispose();
    }
}

/// <summary>One model directory and one in-memory server per test class.</summary>
public sealed class ServerFixture : IDisposable
{
    public ServerFixture()
    {
        Factory = new SteerServerFactory(Model);
        Client = Factory.CreateClient();
    }

    public TestModel Model { get; } = new();

    public SteerServerFactory Factory { get; }

    public HttpClient Client { get; }

    public string ModelId => Model.Path;

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
        Model.Dispose();
    }
}

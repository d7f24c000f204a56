using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Steer.Chat;
using Steer.Cli.Commands.Shared;
using Steer.Server;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer serve --model M [--host 127.0.0.1] [--port 8080] [limits]</c>: the OpenAI-compatible API with
/// per-request steering, and the playground at <c>/</c>, until Ctrl+C.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(CliContext context)
    {
        var defaults = new ServerOptions();
        var model = new ModelArguments(context);
        var host = new Option<string>("--host") { Description = "Address to bind: an IP address or localhost. Loopback by default (the API has no authentication).", DefaultValueFactory = _ => defaults.Host };
        var port = new Option<int>("--port") { Description = "Port (0 picks a free one).", DefaultValueFactory = _ => defaults.Port };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Largest max_tokens a request may ask for.", DefaultValueFactory = _ => defaults.MaxTokens };
        var maxN = new Option<int>("--max-n") { Description = "Largest n.", DefaultValueFactory = _ => defaults.MaxN };
        var maxBatch = new Option<int>("--max-batch") { Description = "Most completions in one batch (and in one request).", DefaultValueFactory = _ => defaults.MaxBatchRows };
        var maxQueue = new Option<int>("--max-queue") { Description = "Requests that may wait; more get 429 with Retry-After.", DefaultValueFactory = _ => defaults.MaxQueue };
        var timeout = new Option<double>("--timeout") { Description = "Seconds a request may wait and generate before it is cancelled (504).", DefaultValueFactory = _ => defaults.RequestTimeout.TotalSeconds };
        var command = new Command("serve", "Serve the model over HTTP: OpenAI's /v1/completions with per-request steering, and a playground at /.")
        {
            host, port, maxTokens, maxN, maxBatch, maxQueue, timeout,
        };
        model.AddTo(command);
        command.SetAction(parse =>
        {
            var seconds = parse.GetValue(timeout);
            if (!double.IsFinite(seconds) || seconds <= 0)
                throw new SteerException(ErrorKind.InvalidArgument, $"--timeout must be a positive number of seconds, got {seconds.ToString(CultureInfo.InvariantCulture)}");
            var options = new ServerOptions
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                MaxTokens = parse.GetValue(maxTokens),
                MaxN = parse.GetValue(maxN),
                MaxBatchRows = parse.GetValue(maxBatch),
                MaxQueue = parse.GetValue(maxQueue),
                RequestTimeout = TimeSpan.FromSeconds(seconds),
            }.Validate();
            using var lm = model.Load(parse);
            using var server = SteerServer.CreateHostBuilder(lm, options, ChatTemplateSource.FromDirectory(model.Files(parse).Directory)).Build();
            try
            {
                server.StartAsync(context.Cancellation).GetAwaiter().GetResult();
            }
            catch (IOException e)
            {
                throw new SteerException(ErrorKind.Environment, $"cannot listen on {options.Host}:{options.Port}: {e.Message}");
            }
            var address = SteerServer.Addresses(server).FirstOrDefault() ?? $"http://{options.Host}:{options.Port}";
            context.Output.WriteLine($"steer: serving {lm.Name} at {address}/v1 (playground: {address}/); Ctrl+C stops");
            context.Output.Flush();
            // Returns on Ctrl+C or SIGTERM (the host's console lifetime), or when the caller's token is cancelled.
            server.WaitForShutdownAsync(context.Cancellation).GetAwaiter().GetResult();
            return ExitCodes.Ok;
        });
        return command;
    }
}

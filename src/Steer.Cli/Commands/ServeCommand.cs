using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Steer.Chat;
using Steer.Cli.Commands.Shared;
using Steer.Server;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer serve --model M [--host 127.0.0.1] [--port 8080] [--api-key KEY] [--vector-dir DIR] [limits]</c>: the
/// OpenAI-compatible API with per-request steering, the playground at <c>/</c> and metrics at <c>/metrics</c>, until
/// Ctrl+C or SIGTERM, after which requests in flight get <c>--shutdown-timeout</c> seconds to finish.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(CliContext context)
    {
        var defaults = new ServerOptions();
        var model = new ModelArguments(context);
        var host = new Option<string>("--host") { Description = "Address to bind: an IP address or localhost. A non-loopback address needs --api-key or --insecure-no-auth.", DefaultValueFactory = _ => defaults.Host };
        var port = NumberOption.Int("--port", "Port (0 picks a free one).", defaults.Port);
        var maxTokens = NumberOption.Int("--max-tokens", "Largest max_tokens a request may ask for.", defaults.MaxTokens);
        var maxN = NumberOption.Int("--max-n", "Largest n.", defaults.MaxN);
        var maxBatch = NumberOption.Int("--max-batch", "Most completions in one batch (and in one request).", defaults.MaxBatchRows);
        var maxQueue = NumberOption.Int("--max-queue", "Requests that may wait; more get 429 with Retry-After.", defaults.MaxQueue);
        var timeout = NumberOption.Double("--timeout", "Seconds a request may wait and generate before it is cancelled (504).", defaults.RequestTimeout.TotalSeconds);
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer KEY' on /v1 (default: $STEER_API_KEY). /healthz, /metrics and the playground page stay open." };
        var insecure = new Option<bool>("--insecure-no-auth") { Description = "Allow a non-loopback --host without an API key: anyone who reaches the port may use the API." };
        var logPrompts = new Option<bool>("--log-prompts") { Description = "Include each request's body (the prompt, truncated) in its log line." };
        var vectorDir = new Option<string?>("--vector-dir") { Description = "Keep vectors registered with POST /v1/vectors in this directory, and load them at start." };
        var shutdownTimeout = NumberOption.Double("--shutdown-timeout", "Seconds requests in flight may take to finish once the server is asked to stop.", defaults.ShutdownTimeout.TotalSeconds);
        var command = new Command("serve", "Serve the model over HTTP: OpenAI's /v1/completions with per-request steering, a playground at / and metrics at /metrics.")
        {
            host, port, maxTokens, maxN, maxBatch, maxQueue, timeout, apiKey, insecure, logPrompts, vectorDir, shutdownTimeout,
        };
        model.AddTo(command);
        command.SetAction(parse =>
        {
            var seconds = parse.GetValue(timeout);
            if (!double.IsFinite(seconds) || seconds <= 0)
                throw new SteerException(ErrorKind.InvalidArgument, $"--timeout must be a positive number of seconds, got {seconds.ToString(CultureInfo.InvariantCulture)}");
            var grace = parse.GetValue(shutdownTimeout);
            if (!double.IsFinite(grace) || grace < 0 || grace > TimeSpan.MaxValue.TotalSeconds / 2)
                throw new SteerException(ErrorKind.InvalidArgument, $"--shutdown-timeout must be a number of seconds, 0 or more, got {grace.ToString(CultureInfo.InvariantCulture)}");
            // The flag wins over the environment; an empty variable counts as unset, as shells leave it so.
            var key = parse.GetValue(apiKey) ?? (Environment.GetEnvironmentVariable("STEER_API_KEY") is { Length: > 0 } fromEnvironment ? fromEnvironment : null);
            var options = new ServerOptions
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                MaxTokens = parse.GetValue(maxTokens),
                MaxN = parse.GetValue(maxN),
                MaxBatchRows = parse.GetValue(maxBatch),
                MaxQueue = parse.GetValue(maxQueue),
                RequestTimeout = TimeSpan.FromSeconds(seconds),
                ApiKey = key,
                InsecureNoAuth = parse.GetValue(insecure),
                LogPrompts = parse.GetValue(logPrompts),
                VectorDirectory = parse.GetValue(vectorDir),
                ShutdownTimeout = TimeSpan.FromSeconds(grace),
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
            context.Output.WriteLine($"steer: serving {lm.Name} at {address}/v1 (playground: {address}/, metrics: {address}/metrics{(options.ApiKey is null ? "" : "; /v1 needs the API key")}); Ctrl+C stops");
            context.Output.Flush();
            // Returns on Ctrl+C or SIGTERM (the host's console lifetime), or when the caller's token is cancelled.
            server.WaitForShutdownAsync(context.Cancellation).GetAwaiter().GetResult();
            return ExitCodes.Ok;
        });
        return command;
    }
}

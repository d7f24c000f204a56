using Steer.Server.Completions;
using Steer.Server.Contracts;
using Steer.Server.Http;
using Steer.Server.Scheduling;

namespace Steer.Server.Endpoints;

/// <summary><c>POST /v1/completions</c>: OpenAI's legacy completions, with per-request steering, as JSON or server-sent events.</summary>
internal static class CompletionEndpoints
{
    public static void Map(IEndpointRouteBuilder app) => app.MapPost("/v1/completions", HandleAsync);

    private static async Task HandleAsync(HttpContext context)
    {
        var state = ServerState.Of(context);
        var request = await ApiJson.ReadBodyAsync<CompletionRequest>(context, state.Options.MaxBodyBytes);
        var plan = CompletionPlan.From(request, state.Model, state.ModelId, state.Options, state.Vectors);

        // Whichever comes first, the client leaving or the time limit, ends the generation (or its wait in the queue).
        using var timeout = new CancellationTokenSource(state.Options.RequestTimeout);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, timeout.Token);
        var job = new CompletionJob(plan, state.Model.Tokenizer, state.Model.StopIds, cancellation.Token);
        if (!state.Queue.TryEnqueue(job)) throw QueueFull(state);
        var head = new ResponseHead("cmpl-" + Guid.NewGuid().ToString("N")[..24], DateTimeOffset.UtcNow.ToUnixTimeSeconds(), state.ModelId);
        try
        {
            if (plan.Stream)
            {
                await StreamAsync(context, job, head);
            }
            else
            {
                await job.Done;
                await WriteJsonAsync(context, Response(job, head));
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            var error = new ApiException(StatusCodes.Status504GatewayTimeout, "timeout_error",
                $"the request did not finish within the server's limit of {state.Options.RequestTimeout.TotalSeconds:0.###} s", code: "request_timeout");
            if (!context.Response.HasStarted) throw error;
            await ServerSentEvents.WriteAsync(context, ApiJson.Serialize(error.Body));
        }
    }

    private static async Task StreamAsync(HttpContext context, CompletionJob job, ResponseHead head)
    {
        // Wait for the first event before sending headers, so that a request the worker refuses (a vector that
        // does not fit the prompt, say) still gets its 400 rather than a broken stream.
        await job.Events.WaitToReadAsync(CancellationToken.None);
        ServerSentEvents.Start(context);
        try
        {
            await foreach (var e in job.Events.ReadAllAsync(CancellationToken.None))
            {
                var choice = e switch
                {
                    DeltaEvent delta => new CompletionChoice(delta.Choice, delta.Text, delta.Logprobs is null ? null : Logprobs([delta.Logprobs]), null),
                    FinishEvent finish => new CompletionChoice(finish.Choice, "", null, finish.Reason),
                    _ => throw new InvalidOperationException($"unknown event {e}"),
                };
                await ServerSentEvents.WriteAsync(context, ApiJson.Serialize(head.Chunk([choice], null)));
            }
        }
        catch (ApiException error)
        {
            await ServerSentEvents.WriteAsync(context, ApiJson.Serialize(error.Body));
            return;
        }
        if (job.Plan.IncludeUsage) await ServerSentEvents.WriteAsync(context, ApiJson.Serialize(head.Chunk([], job.Usage)));
        await ServerSentEvents.WriteAsync(context, "[DONE]");
    }

    private static CompletionResponse Response(CompletionJob job, ResponseHead head) => head.Chunk(
        job.Choices.Select((c, i) => new CompletionChoice(i, c.Text, job.Plan.Logprobs is null ? null : Logprobs(c.Logprobs), c.FinishReason)).ToList(),
        job.Usage);

    private static CompletionLogprobs Logprobs(IReadOnlyList<LogprobEntry> entries) => new(
        entries.Select(e => e.Token).ToList(), entries.Select(e => e.Logprob).ToList(),
        entries.Select(e => e.Top).ToList(), entries.Select(e => e.TextOffset).ToList());

    private static ApiException QueueFull(ServerState state) => new(StatusCodes.Status429TooManyRequests, "rate_limit_error",
        $"the server is busy: {state.Options.MaxQueue} requests are already waiting; retry shortly", code: "queue_full");

    internal static Task WriteJsonAsync<T>(HttpContext context, T value)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(ApiJson.Serialize(value), context.RequestAborted);
    }

    private sealed record ResponseHead(string Id, long Created, string Model)
    {
        public CompletionResponse Chunk(IReadOnlyList<CompletionChoice> choices, Usage? usage) => new(Id, "text_completion", Created, Model, choices, usage);
    }
}

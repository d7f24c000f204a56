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
        var head = new ResponseHead("cmpl-" + Guid.NewGuid().ToString("N")[..24], DateTimeOffset.UtcNow.ToUnixTimeSeconds(), state.ModelId);
        await JobRunner.RunAsync(context, state, plan, async job =>
        {
            if (!plan.Stream)
            {
                await job.Done;
                await WriteJsonAsync(context, Response(job, head));
                return;
            }
            var completed = await JobRunner.StreamAsync(context, job, e => [ApiJson.Serialize(head.Chunk([e switch
            {
                DeltaEvent delta => new CompletionChoice(delta.Choice, delta.Text, delta.Logprobs is null ? null : Logprobs([delta.Logprobs]), null),
                FinishEvent finish => new CompletionChoice(finish.Choice, "", null, finish.Reason),
                _ => throw new InvalidOperationException($"unknown event {e}"),
            }], null))]);
            if (!completed) return;
            if (plan.IncludeUsage) await ServerSentEvents.WriteAsync(context, ApiJson.Serialize(head.Chunk([], job.Usage)));
            await ServerSentEvents.WriteAsync(context, "[DONE]");
        });
    }

    private static CompletionResponse Response(CompletionJob job, ResponseHead head) => head.Chunk(
        job.Choices.Select((c, i) => new CompletionChoice(i, c.Text, job.Plan.Logprobs is null ? null : Logprobs(c.Logprobs), c.FinishReason)).ToList(),
        job.Usage);

    private static CompletionLogprobs Logprobs(IReadOnlyList<LogprobEntry> entries) => new(
        entries.Select(e => e.Token).ToList(), entries.Select(e => e.Logprob).ToList(),
        entries.Select(e => e.Top).ToList(), entries.Select(e => e.TextOffset).ToList());

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

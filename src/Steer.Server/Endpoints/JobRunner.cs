using Steer.Server.Completions;
using Steer.Server.Http;
using Steer.Server.Scheduling;

namespace Steer.Server.Endpoints;

/// <summary>What both completion endpoints do with a checked plan: queue it, and deliver it within the server's time limit.</summary>
internal static class JobRunner
{
    /// <param name="deliver">Writes the response (JSON once the job is done, or its events as a stream).</param>
    public static async Task RunAsync(HttpContext context, ServerState state, CompletionPlan plan, Func<CompletionJob, Task> deliver)
    {
        // Whichever comes first, the client leaving or the time limit, ends the generation (or its wait in the queue).
        using var timeout = new CancellationTokenSource(state.Options.RequestTimeout);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, timeout.Token);
        var job = new CompletionJob(plan, state.Model.Tokenizer, state.Model.StopIds, cancellation.Token);
        if (!state.Queue.TryEnqueue(job))
            throw new ApiException(StatusCodes.Status429TooManyRequests, "rate_limit_error",
                $"the server is busy: {state.Options.MaxQueue} requests are already waiting; retry shortly", code: "queue_full");
        try
        {
            await deliver(job);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            var error = new ApiException(StatusCodes.Status504GatewayTimeout, "timeout_error",
                $"the request did not finish within the server's limit of {state.Options.RequestTimeout.TotalSeconds:0.###} s", code: "request_timeout");
            if (!context.Response.HasStarted) throw error;
            await ServerSentEvents.WriteAsync(context, ApiJson.Serialize(error.Body));
        }
    }

    /// <summary>
    /// Streams a job's events: waits for the first before sending headers, so that a request the worker refuses (a
    /// vector that does not fit the prompt, say) still gets its 400 rather than a broken stream; an error after that is
    /// sent as an error event. Returns false when the stream ended in an error.
    /// </summary>
    public static async Task<bool> StreamAsync(HttpContext context, CompletionJob job, Func<CompletionEvent, IEnumerable<string>> chunks)
    {
        await job.Events.WaitToReadAsync(CancellationToken.None);
        ServerSentEvents.Start(context);
        try
        {
            await foreach (var e in job.Events.ReadAllAsync(CancellationToken.None))
                foreach (var chunk in chunks(e))
                    await ServerSentEvents.WriteAsync(context, chunk);
        }
        catch (ApiException error)
        {
            await ServerSentEvents.WriteAsync(context, ApiJson.Serialize(error.Body));
            return false;
        }
        return true;
    }
}

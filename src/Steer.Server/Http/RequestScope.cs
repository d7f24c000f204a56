using System.Diagnostics;
using Steer.Server.Contracts;
using Steer.Server.Scheduling;

namespace Steer.Server.Http;

/// <summary>
/// What the request log and the metrics learn about one request from the work it queued: its completion jobs (for
/// token counts) and when the first token came. It flows with the request's async context, so a job picks it up
/// where it is created, whichever endpoint creates it, without the endpoints passing it along.
/// </summary>
internal sealed class RequestScope
{
    private static readonly AsyncLocal<RequestScope?> CurrentScope = new();
    private readonly List<CompletionJob> _jobs = [];
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _firstToken;

    /// <summary>The scope of the request being handled on this async flow; null outside a request (and on the inference thread).</summary>
    public static RequestScope? Current => CurrentScope.Value;

    public static RequestScope Begin() => CurrentScope.Value = new RequestScope();

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    /// <summary>From the start of the request to the first token generated for it; null if none was.</summary>
    public TimeSpan? TimeToFirstToken
    {
        get
        {
            var first = Interlocked.Read(ref _firstToken);
            return first == 0 ? null : Stopwatch.GetElapsedTime(_started, first);
        }
    }

    public void Attach(CompletionJob job)
    {
        lock (_jobs) _jobs.Add(job);
    }

    /// <summary>Called on the inference thread for every token; only the first one counts.</summary>
    public void TokenGenerated()
    {
        if (Interlocked.Read(ref _firstToken) == 0) Interlocked.CompareExchange(ref _firstToken, Stopwatch.GetTimestamp(), 0);
    }

    public Usage Usage
    {
        get
        {
            lock (_jobs)
            {
                var usages = _jobs.Select(j => j.Usage).ToList();
                return new Usage(usages.Sum(u => u.PromptTokens), usages.Sum(u => u.CompletionTokens), usages.Sum(u => u.TotalTokens));
            }
        }
    }
}

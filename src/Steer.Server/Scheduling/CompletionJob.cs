using System.Threading.Channels;
using Steer.Generation;
using Steer.Server.Completions;
using Steer.Server.Contracts;
using Steer.Server.Http;
using Steer.Tokenization;

namespace Steer.Server.Scheduling;

/// <summary>What a streamed completion sends: text for one choice, or the end of one choice.</summary>
internal abstract record CompletionEvent(int Choice);

internal sealed record DeltaEvent(int Choice, string Text, LogprobEntry? Logprobs) : CompletionEvent(Choice);

internal sealed record FinishEvent(int Choice, string Reason) : CompletionEvent(Choice);

/// <summary>
/// One completion request on its way through the worker. Its choices are filled on the inference thread as
/// tokens arrive; a streaming client reads <see cref="Events"/>, the others await <see cref="Done"/>.
/// </summary>
internal sealed class CompletionJob : WorkItem
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<CompletionEvent> _events = Channel.CreateUnbounded<CompletionEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    // The request that queued this job, for its log line and time-to-first-token metric.
    private readonly RequestScope? _scope = RequestScope.Current;

    public CompletionJob(CompletionPlan plan, ITokenizer tokenizer, IReadOnlyList<int> stopIds, CancellationToken cancellation) : base(cancellation)
    {
        Plan = plan;
        Choices = Enumerable.Range(0, plan.Rows).Select(_ => new ChoiceState(tokenizer, stopIds, plan.Stop, plan.Logprobs is not null)).ToArray();
        _scope?.Attach(this);
    }

    public CompletionPlan Plan { get; }

    /// <summary>Choice i is completion i % n of prompt i / n, as OpenAI orders them.</summary>
    public ChoiceState[] Choices { get; }

    public ChannelReader<CompletionEvent> Events => _events.Reader;

    public Task Done => _done.Task;

    /// <summary>The batch items, one per prompt, set by the worker once the steering vector is built.</summary>
    public IReadOnlyList<GenerationItem>? Items { get; set; }

    /// <summary>The longest prompt pass among <see cref="Items"/> (prompts may grow under the short-prompt pad policy).</summary>
    public int Positions { get; set; }

    public Usage Usage
    {
        get
        {
            var prompt = Plan.Prompts.Sum(p => p.Count);
            var completion = Choices.Sum(c => c.Ids.Count);
            return new Usage(prompt, completion, prompt + completion);
        }
    }

    /// <summary>A token for completion <paramref name="completion"/> of prompt <paramref name="prompt"/>; false ends that choice.</summary>
    public bool OnToken(int prompt, int completion, int id, TokenLogprobs? logprobs)
    {
        _scope?.TokenGenerated();
        var index = prompt * Plan.Options.Count + completion;
        var delta = Choices[index].Push(id, logprobs, out var more);
        if (Plan.Stream)
        {
            if (delta.Text.Length > 0 || delta.Logprobs is not null) _events.Writer.TryWrite(new DeltaEvent(index, delta.Text, delta.Logprobs));
            if (!more) _events.Writer.TryWrite(new FinishEvent(index, Choices[index].FinishReason!));
        }
        return more;
    }

    /// <summary>Generation is over: choices still open used their whole budget.</summary>
    public void Complete()
    {
        if (Cancellation.IsCancellationRequested)
        {
            Cancel();
            return;
        }
        for (var i = 0; i < Choices.Length; i++)
        {
            if (Choices[i].FinishReason is not null) continue;
            var rest = Choices[i].Finish();
            if (!Plan.Stream) continue;
            if (rest.Length > 0) _events.Writer.TryWrite(new DeltaEvent(i, rest, null));
            _events.Writer.TryWrite(new FinishEvent(i, Choices[i].FinishReason!));
        }
        _events.Writer.TryComplete();
        _done.TrySetResult();
    }

    public override void Cancel()
    {
        _events.Writer.TryComplete(new OperationCanceledException(Cancellation));
        _done.TrySetCanceled(Cancellation);
    }

    public override void Fail(Exception error)
    {
        _events.Writer.TryComplete(error);
        _done.TrySetException(error);
    }
}

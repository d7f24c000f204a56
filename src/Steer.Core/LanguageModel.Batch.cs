using Steer.Generation;
using Steer.Steering;

namespace Steer;

public sealed partial class LanguageModel
{
    /// <summary>
    /// Generates several independent items in one batch: each has its own prompt, completion count, token budget,
    /// seed, steering (added to its rows only) and cancellation, and its completions equal what
    /// <c>Generate</c> gives for it alone. The items must share sampling options.
    /// </summary>
    /// <param name="onToken">Receives every sampled token; returning false ends that completion there (a stop string, say).</param>
    /// <param name="cancellationToken">Checked between decoding steps; cancelling throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>One result per item, in order; a cancelled item's completions hold what was generated before.</returns>
    public IReadOnlyList<GenerationResult> GenerateMany(IReadOnlyList<GenerationItem> items, Func<GeneratedToken, bool>? onToken = null,
        CancellationToken cancellationToken = default)
    {
        if (items.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "no items to generate");
        var shared = items[0].Options;
        foreach (var item in items)
        {
            if (item.Options.Sampling != shared.Sampling || item.Options.StopAtEndOfText != shared.StopAtEndOfText)
                throw new SteerException(ErrorKind.InvalidArgument, "the items of one batch must share sampling options and the end-of-text rule");
            ValidateItem(item);
        }

        var seeds = items.Select(i => i.Options.WithSeed().Seed!.Value).ToArray();
        var rows = new List<DecodeRow>();
        var owners = new List<(int Item, int Completion)>();
        var starts = new int[items.Count];
        // Items that share a vector and its options share one injector: one copy of the vector in the model's
        // dtype and one hook per point, however many prompts it steers (Generate steers every prompt alike).
        // Rows maps each steered row to its item's reply start (for positions assistant).
        var injectors = new List<(SteeringVector Vector, SteeringOptions? Options, SteeringInjector Injector, Dictionary<int, int?> Rows)>();
        try
        {
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                var start = starts[i] = rows.Count;
                var count = item.Options.Count;
                var prompt = item.Prompt;
                if (item.Steering is { } vector)
                {
                    var steeringOptions = item.SteeringOptions ?? new SteeringOptions();
                    prompt = PrepareForSteering(prompt, vector, steeringOptions);
                    var group = injectors.FindIndex(g => ReferenceEquals(g.Vector, vector) && ReferenceEquals(g.Options, item.SteeringOptions));
                    if (group < 0)
                    {
                        var steered = new Dictionary<int, int?>();
                        injectors.Add((vector, item.SteeringOptions,
                            new SteeringInjector(this, vector, steeringOptions, steersRow: steered.ContainsKey, replyStart: r => steered[r]), steered));
                        group = injectors.Count - 1;
                    }
                    for (var r = start; r < start + count; r++) injectors[group].Rows[r] = item.ReplyStart;
                }
                for (var c = 0; c < count; c++)
                {
                    rows.Add(new DecodeRow(prompt, Sampler.RowSeed(seeds[i], item.Options.FirstCompletion + c), item.Options.MaxNewTokens, item.Logprobs, item.Cancellation));
                    owners.Add((i, c));
                }
            }
            TokenSink? sink = onToken is null ? null
                : (row, id, logprobs) => onToken(new GeneratedToken(owners[row].Item, owners[row].Completion, id, logprobs));
            using var steering = Hooks.AddRange(injectors.SelectMany(g => g.Injector.Hooks));
            var completions = new DecodeLoop(this).Run(rows, shared.Sampling, shared.StopAtEndOfText, sink, cancellationToken);
            return items.Select((item, i) => new GenerationResult([item.Prompt],
                completions.Skip(starts[i]).Take(item.Options.Count).ToArray(), seeds[i])).ToList();
        }
        finally
        {
            foreach (var group in injectors) group.Injector.Dispose();
        }
    }

    /// <summary>
    /// Throws the <see cref="SteerException"/> that <see cref="GenerateMany"/> would throw because of this item
    /// (bad options, ids outside the vocabulary, a prompt too short for its vector or too long for the context, a
    /// vector this model cannot take), so that a caller can refuse one item without failing a whole batch.
    /// </summary>
    /// <returns>The positions of the item's prompt pass: its prompt's length after the short-prompt policy.</returns>
    public int ValidateItem(GenerationItem item)
    {
        item.Options.Validate();
        if (item.Logprobs is < 0) throw new SteerException(ErrorKind.InvalidArgument, $"logprobs must be >= 0, got {item.Logprobs}");
        if (item.Prompt.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "a sequence has no tokens");
        CheckIds(item.Prompt);
        if (item.ReplyStart is { } replyStart && (replyStart < 0 || replyStart > item.Prompt.Count))
            throw new SteerException(ErrorKind.InvalidArgument, $"the reply start {replyStart} is outside the prompt's {item.Prompt.Count} tokens");
        var prompt = item.Prompt;
        if (item.Steering is { } vector)
        {
            var steeringOptions = item.SteeringOptions ?? new SteeringOptions();
            SteeringInjector.Check(this, vector, steeringOptions);
            var modes = steeringOptions.Positions is { } mode ? [mode] : vector.Components.Select(c => c.Mode);
            if (item.ReplyStart is null && modes.Contains(PositionMode.Assistant)) throw SteeringInjector.NeedsChat(vector.Components[0].HookPoint);
            prompt = PrepareForSteering(prompt, vector, steeringOptions);
        }
        CheckFits(prompt.Count, item.Options.MaxNewTokens);
        return prompt.Count;
    }
}


using Steer.Generation;
using Steer.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer;

public sealed partial class LanguageModel
{
    /// <summary>
    /// Samples <see cref="GenerationOptions.Count"/> completions of each prompt, all in one batch with a KV
    /// cache: one prompt pass, then one position per step. Prompts of different lengths are left-padded.
    /// Hooks given here fire on every pass (check <see cref="HookContext.IsDecodingStep"/>) and are removed after.
    /// </summary>
    /// <param name="onToken">Called after every step with (row, token id), for streaming.</param>
    /// <param name="cancellationToken">Checked between decoding steps; cancelling throws <see cref="OperationCanceledException"/>.</param>
    public GenerationResult Generate(IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options,
        IEnumerable<(string Name, HookFunction Hook)>? hooks = null, Action<int, int>? onToken = null,
        CancellationToken cancellationToken = default)
    {
        options.Validate();
        var rows = prompts.SelectMany(p => Enumerable.Repeat(p, options.Count)).ToList();
        if (rows.Count > 0) CheckFits(rows.Max(r => r.Count), options.MaxNewTokens);
        var seed = options.Seed ?? Random.Shared.NextInt64(0, long.MaxValue);
        // One generator per completion: completion i of a prompt draws the same numbers whether it is
        // sampled alone, with other prompts, or beside its steered twin (steer compare).
        var decodeRows = rows.Select((prompt, b) => new DecodeRow(prompt, Sampler.RowSeed(seed, b % options.Count), options.MaxNewTokens)).ToList();
        TokenSink? sink = onToken is null ? null : (row, id, _) =>
        {
            onToken(row, id);
            return true;
        };
        var completions = Decode(decodeRows, options.Sampling, options.StopAtEndOfText, hooks, sink, cancellationToken);
        return new GenerationResult(prompts, completions, seed);
    }

    private void CheckFits(int promptLength, int maxNewTokens)
    {
        if (promptLength + maxNewTokens > Shape.ContextLength)
            throw new SteerException(ErrorKind.InvalidArgument,
                $"the prompt has {promptLength} tokens; with {maxNewTokens} new tokens that exceeds the model's context of {Shape.ContextLength}");
    }

    /// <summary>One sequence of a decoding batch: its prompt, its generator's seed, its token budget.</summary>
    /// <param name="Logprobs">Alternatives to report with each token's log-probability; null reports none.</param>
    /// <param name="Cancellation">Ends this row where it is; the batch goes on.</param>
    private sealed record DecodeRow(IReadOnlyList<int> Prompt, ulong Seed, int MaxNewTokens, int? Logprobs = null,
        CancellationToken Cancellation = default);

    /// <summary>Receives each sampled token; returning false ends that row (a stop string, say).</summary>
    private delegate bool TokenSink(int row, int id, TokenLogprobs? logprobs);

    /// <summary>
    /// The decoding loop: a prompt pass over every row, then one position per step until every row has used its
    /// budget, emitted the stop id (EOS), been ended by <paramref name="onToken"/> or been cancelled. A row that is
    /// done is fed the pad id and its output ignored, so it cannot affect the others.
    /// </summary>
    private int[][] Decode(IReadOnlyList<DecodeRow> rows, SamplingOptions sampling, bool stopAtEndOfText,
        IEnumerable<(string Name, HookFunction Hook)>? hooks, TokenSink? onToken, CancellationToken cancellationToken)
    {
        var prompts = rows.Select(r => r.Prompt).ToList();
        var longest = prompts.Count == 0 ? 0 : prompts.Max(p => p.Count);
        var budget = rows.Count == 0 ? 0 : rows.Max(r => r.MaxNewTokens);
        if (longest + budget > Shape.ContextLength)
            throw new SteerException(ErrorKind.InvalidArgument,
                $"the batch's longest prompt has {longest} tokens and its largest budget is {budget} new tokens; together that exceeds the model's context of {Shape.ContextLength}");
        var completions = rows.Select(_ => new List<int>()).ToArray();
        var top = rows.Select(r => r.Logprobs ?? -1).DefaultIfEmpty(-1).Max();

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var attached = Hooks.AddRange(hooks ?? []);
        using var cache = _transformer.CreateCache(rows.Count, longest + Math.Max(budget, 1));
        var generators = rows.Select(r => new torch.Generator(r.Seed, CPU)).ToArray();
        using var disposeGenerators = new Disposables(generators);
        var input = Input(prompts, cache, lastOnly: true);
        var counts = TokenCounts(prompts);                              // [batch, vocab]
        var done = rows.Select(r => r.MaxNewTokens == 0).ToArray();
        var logits = _transformer.Forward(input).squeeze(1);            // [batch, vocab]

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (var b = 0; b < rows.Count; b++) done[b] |= rows[b].Cancellation.IsCancellationRequested;
            if (done.All(d => d)) break;
            using var stepScope = NewDisposeScope();
            // Sampling runs on the CPU with a CPU generator, so a seed gives the same draws on any device.
            var cpuLogits = logits.cpu();
            var next = Sampler.Sample(cpuLogits, counts, sampling, generators).data<long>().ToArray();
            var logprobs = top >= 0 ? Logprobs(cpuLogits, next, top) : null;
            for (var b = 0; b < rows.Count; b++)
            {
                if (done[b])
                {
                    next[b] = PadId;
                    continue;
                }
                var id = (int)next[b];
                completions[b].Add(id);
                var keep = onToken?.Invoke(b, id, rows[b].Logprobs is { } k ? logprobs![b] with { Top = logprobs[b].Top.Take(k).ToList() } : null) ?? true;
                done[b] = !keep || (stopAtEndOfText && id == StopId) || completions[b].Count >= rows[b].MaxNewTokens;
            }
            if (done.All(d => d)) break;
            var nextIds = tensor(next, [rows.Count, 1], ScalarType.Int64, _transformer.Device);
            counts.scatter_add_(1, nextIds.cpu(), ones([rows.Count, 1], ScalarType.Float32));
            var stepLogits = _transformer.Forward(input with { Ids = nextIds }).squeeze(1).MoveToOuterDisposeScope();
            logits.Dispose();
            logits = stepLogits;
        }
        return completions.Select(c => c.ToArray()).ToArray();
    }

    /// <summary>Each row's log-probability of its sampled token and its <paramref name="top"/> most likely tokens, from the raw logits.</summary>
    private static TokenLogprobs[] Logprobs(Tensor logits, long[] sampled, int top)   // logits [batch, vocab] on the CPU
    {
        var logprobs = logits.log_softmax(-1);
        var picked = logprobs.gather(1, tensor(sampled).unsqueeze(1)).squeeze(1).to(ScalarType.Float64).data<double>().ToArray();
        var k = Math.Min(top, (int)logits.shape[1]);
        if (k == 0) return picked.Select(logprob => new TokenLogprobs(logprob, [])).ToArray();
        var (values, ids) = logprobs.topk(k, dim: -1);                   // [batch, k], most likely first
        var topValues = values.to(ScalarType.Float64).data<double>().ToArray();
        var topIds = ids.data<long>().ToArray();
        return picked.Select((logprob, b) => new TokenLogprobs(logprob,
            Enumerable.Range(b * k, k).Select(i => ((int)topIds[i], topValues[i])).ToList())).ToArray();
    }

    /// <summary>Occurrences of every token in each row, for the penalties. [batch, vocab] float32, on the CPU</summary>
    private Tensor TokenCounts(IReadOnlyList<IReadOnlyList<int>> rows)
    {
        var counts = new float[rows.Count * Shape.VocabSize];
        for (var b = 0; b < rows.Count; b++)
            foreach (var id in rows[b])
                counts[b * Shape.VocabSize + id] += 1;
        return tensor(counts, [rows.Count, Shape.VocabSize], ScalarType.Float32);
    }

    private sealed class Disposables(IEnumerable<IDisposable> items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items) item.Dispose();
        }
    }
}

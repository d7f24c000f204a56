using Steer.Generation;
using Steer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer;

/// <summary>One sequence of a decoding batch: its prompt, its generator's seed, its token budget.</summary>
/// <param name="Logprobs">Alternatives to report with each token's log-probability; null reports none.</param>
/// <param name="Cancellation">Ends this row where it is; the batch goes on.</param>
internal sealed record DecodeRow(IReadOnlyList<int> Prompt, ulong Seed, int MaxNewTokens, int? Logprobs = null,
    CancellationToken Cancellation = default);

/// <summary>Receives each sampled token; returning false ends that row (a stop string, say).</summary>
internal delegate bool TokenSink(int row, int id, TokenLogprobs? logprobs);

/// <summary>
/// The decoding loop: a prompt pass over every row, then one position per step until every row has used its
/// budget, emitted the stop id, been ended by its sink or been cancelled. A row that is done is fed the pad id
/// and its output ignored, so it cannot affect the others. Whatever hooks are attached to the model fire on
/// every pass (see <see cref="Hooks.HookContext.IsDecodingStep"/>).
/// </summary>
internal sealed class DecodeLoop(LanguageModel model)
{
    private readonly ITransformer _transformer = model.Transformer;

    public int[][] Run(IReadOnlyList<DecodeRow> rows, SamplingOptions sampling, bool stopAtEndOfText, TokenSink? onToken,
        CancellationToken cancellationToken)
    {
        var prompts = rows.Select(r => r.Prompt).ToList();
        var longest = prompts.Count == 0 ? 0 : prompts.Max(p => p.Count);
        var budget = rows.Count == 0 ? 0 : rows.Max(r => r.MaxNewTokens);
        model.CheckFits(longest, budget, "the batch's longest prompt");
        var completions = rows.Select(_ => new List<int>()).ToArray();
        var top = rows.Select(r => r.Logprobs ?? -1).DefaultIfEmpty(-1).Max();

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cache = _transformer.CreateCache(rows.Count, longest + Math.Max(budget, 1));
        var generators = rows.Select(r => new torch.Generator(r.Seed, CPU)).ToArray();
        try
        {
            var input = model.Input(prompts, cache, lastOnly: true);
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
                        next[b] = model.PadId;
                        continue;
                    }
                    var id = (int)next[b];
                    completions[b].Add(id);
                    var keep = onToken?.Invoke(b, id, rows[b].Logprobs is { } k ? logprobs![b] with { Top = logprobs[b].Top.Take(k).ToList() } : null) ?? true;
                    done[b] = !keep || (stopAtEndOfText && model.StopIds.Contains(id)) || completions[b].Count >= rows[b].MaxNewTokens;
                }
                if (done.All(d => d)) break;
                var nextIds = tensor(next, [rows.Count, 1], ScalarType.Int64, _transformer.Device);
                counts.scatter_add_(1, nextIds.cpu(), ones([rows.Count, 1], ScalarType.Float32));
                var stepLogits = _transformer.Forward(input with { Ids = nextIds }).squeeze(1).MoveToOuterDisposeScope();
                logits.Dispose();
                logits = stepLogits;
            }
        }
        finally
        {
            foreach (var generator in generators) generator.Dispose();
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
        var vocab = model.Shape.VocabSize;
        var counts = new float[rows.Count * vocab];
        for (var b = 0; b < rows.Count; b++)
            foreach (var id in rows[b])
                counts[b * vocab + id] += 1;
        return tensor(counts, [rows.Count, vocab], ScalarType.Float32);
    }
}

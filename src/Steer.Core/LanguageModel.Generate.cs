using Steer.Generation;
using Steer.Hooks;
using Steer.Tokenization;
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
    public GenerationResult Generate(IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options,
        IEnumerable<(string Name, HookFunction Hook)>? hooks = null, Action<int, int>? onToken = null)
    {
        options.Validate();
        var rows = prompts.SelectMany(p => Enumerable.Repeat(p, options.Count)).ToList();
        var longest = rows.Count == 0 ? 0 : rows.Max(r => r.Count);
        if (longest + options.MaxNewTokens > Shape.ContextLength)
            throw new SteerException(ErrorKind.InvalidArgument,
                $"the prompt has {longest} tokens; with {options.MaxNewTokens} new tokens that exceeds the model's context of {Shape.ContextLength}");
        var seed = options.Seed ?? Random.Shared.NextInt64(0, long.MaxValue);
        var completions = rows.Select(_ => new List<int>()).ToArray();

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var attached = Hooks.AddRange(hooks ?? []);
        using var cache = _transformer.CreateCache(rows.Count, longest + Math.Max(options.MaxNewTokens, 1));
        // One generator per completion: completion i of a prompt draws the same numbers whether it is
        // sampled alone, with other prompts, or beside its steered twin (steer compare).
        var generators = rows.Select((_, b) => new torch.Generator(Sampler.RowSeed(seed, b % options.Count), CPU)).ToArray();
        using var disposeGenerators = new Disposables(generators);
        var input = Input(rows, cache, lastOnly: true);
        var counts = TokenCounts(rows);                                 // [batch, vocab]
        var finished = new bool[rows.Count];
        var logits = _transformer.Forward(input).squeeze(1);            // [batch, vocab]

        for (var step = 0; step < options.MaxNewTokens; step++)
        {
            using var stepScope = NewDisposeScope();
            // Sampling runs on the CPU with a CPU generator, so a seed gives the same draws on any device.
            var next = Sampler.Sample(logits.cpu(), counts, options.Sampling, generators).data<long>().ToArray();
            for (var b = 0; b < rows.Count; b++)
            {
                if (finished[b]) next[b] = Gpt2Tokenizer.EndOfText;
                else
                {
                    completions[b].Add((int)next[b]);
                    onToken?.Invoke(b, (int)next[b]);
                    finished[b] = options.StopAtEndOfText && next[b] == Gpt2Tokenizer.EndOfText;
                }
            }
            if (finished.All(f => f) || step == options.MaxNewTokens - 1) break;
            var nextIds = tensor(next, [rows.Count, 1], ScalarType.Int64, _transformer.Device);
            counts.scatter_add_(1, nextIds.cpu(), ones([rows.Count, 1], ScalarType.Float32));
            var stepLogits = _transformer.Forward(input with { Ids = nextIds }).squeeze(1).MoveToOuterDisposeScope();
            logits.Dispose();
            logits = stepLogits;
        }
        return new GenerationResult(prompts, completions.Select(c => c.ToArray()).ToArray(), seed);
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

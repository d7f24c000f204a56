using Steer.Hooks;
using Steer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer;

public sealed partial class LanguageModel
{
    /// <summary>Logits of one sequence, float32 <c>[pos, vocab]</c>, with whatever hooks are attached to <see cref="Hooks"/>.</summary>
    public Tensor Logits(IReadOnlyList<int> ids)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var logits = _transformer.Forward(Input([ids]));
        return logits.squeeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Logits of several sequences of any lengths in one batch. Shorter rows are left-padded: row b's real tokens
    /// end at the last position and start at <see cref="BatchLogits.PadLengths"/>[b].
    /// </summary>
    public BatchLogits Logits(IReadOnlyList<IReadOnlyList<int>> batch)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var input = Input(batch);
        return new BatchLogits(_transformer.Forward(input).MoveToOuterDisposeScope(), input.PadLengths);
    }

    /// <summary>
    /// Logits of a batch whose blocks before <paramref name="layer"/> have run already: <paramref name="residPre"/>
    /// is that batch's <c>blocks.layer.hook_resid_pre</c> (left unchanged). Hooks before the block do not fire.
    /// </summary>
    internal BatchLogits LogitsFrom(IReadOnlyList<IReadOnlyList<int>> batch, int layer, Tensor residPre)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var input = Input(batch);
        return new BatchLogits(_transformer.ForwardFrom(input, layer, residPre).MoveToOuterDisposeScope(), input.PadLengths);
    }

    /// <summary>
    /// Runs one sequence and records the activations at <paramref name="names"/> (all hook points when null; aliases
    /// are accepted), after any hooks attached to <see cref="Hooks"/>, so the cache shows what the model really used.
    /// Cached activations are <c>[1, pos, ...]</c>; dispose the cache to free them.
    /// </summary>
    public (Tensor Logits, ActivationCache Cache) RunWithCache(IReadOnlyList<int> ids, IEnumerable<string>? names = null)
    {
        var cache = new ActivationCache(Hooks);
        try
        {
            using var recording = Hooks.AddRange(Recorders(cache, names ?? HookPoints));
            return (Logits(ids), cache);
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs one sequence only as far as <paramref name="names"/> need and records their activations, as
    /// <see cref="RunWithCache"/> does: blocks after the last of them, and the unembedding, do not run, so there
    /// are no logits. Reading <c>blocks.L.hook_resid_pre</c> runs blocks 0..L−1 only.
    /// </summary>
    public ActivationCache ReadActivations(IReadOnlyList<int> ids, IEnumerable<string> names)
    {
        var cache = new ActivationCache(Hooks);
        try
        {
            var recorders = Recorders(cache, names);
            var last = recorders.Select(r => Hooks.Point(r.Name)).MaxBy(point => point.Index)
                ?? throw new SteerException(ErrorKind.InvalidArgument, "no activations to read were named");
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var recording = Hooks.AddRange(recorders);
            _transformer.RunUntil(Input([ids]), last);
            return cache;
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }

    /// <summary>Hooks that copy each named activation into the cache, one per hook point however it is named; unknown names throw here.</summary>
    private List<(string Name, HookFunction Hook)> Recorders(ActivationCache cache, IEnumerable<string> names) =>
        names.Select(Hooks.Resolve).Distinct()
            .Select(name => (name, (HookFunction)((activation, _) =>
            {
                cache.Record(name, activation);
                return null;
            })))
            .ToList();

    internal ForwardInput Input(IReadOnlyList<IReadOnlyList<int>> batch, KvCache? cache = null, bool lastOnly = false)
    {
        if (batch.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "no sequences given");
        var length = batch.Max(row => row.Count);
        var context = Shape.ContextLength - (cache?.Length ?? 0);
        for (var b = 0; b < batch.Count; b++)
        {
            if (batch[b].Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "a sequence has no tokens");
            if (batch[b].Count > context)
                throw new SteerException(ErrorKind.InvalidArgument,
                    $"the input has {batch[b].Count} tokens but the model's context is {Shape.ContextLength} tokens");
            CheckIds(batch[b]);
        }
        var flat = new long[batch.Count * length];
        var pads = new int[batch.Count];
        for (var b = 0; b < batch.Count; b++)
        {
            pads[b] = length - batch[b].Count;
            for (var t = 0; t < length; t++)
                flat[b * length + t] = t < pads[b] ? PadId : batch[b][t - pads[b]];
        }
        var ids = tensor(flat, [batch.Count, length], ScalarType.Int64, _transformer.Device);
        return new ForwardInput(ids, pads, cache, lastOnly);
    }
}

/// <summary>Logits of a left-padded batch, float32 <c>[batch, pos, vocab]</c>; row b's real tokens start at <c>PadLengths[b]</c>.</summary>
public sealed record BatchLogits(Tensor Values, IReadOnlyList<int> PadLengths) : IDisposable
{
    public void Dispose() => Values.Dispose();
}

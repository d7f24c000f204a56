using Steer.Hooks;
using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>The numbers about a model that code outside its architecture folder may rely on.</summary>
public sealed record ModelShape(int Layers, int ModelDim, int Heads, int VocabSize, int ContextLength);

/// <summary>What every architecture provides to the rest of Steer.</summary>
internal interface ITransformer : IDisposable
{
    ModelShape Shape { get; }
    ScalarType DType { get; }
    Device Device { get; }
    HookRegistry Hooks { get; }

    /// <summary>config.json's <c>eos_token_id</c> (one id or several), each of which ends a completion; empty when the config gives none.</summary>
    IReadOnlyList<int> EosTokenIds { get; }

    /// <summary>Parameters by checkpoint name (without the architecture's checkpoint prefix), as allocated for loading.</summary>
    IEnumerable<(string Name, Tensor Tensor)> Weights();

    KvCache CreateCache(long batch, long capacity);

    /// <summary>The unembedding matrix W_U as stored, [vocab, d_model] (the tied embedding, or lm_head).</summary>
    Tensor Unembedding { get; }

    /// <summary>
    /// <c>--dtype int8</c>: logits through a Q8_0 copy of the unembedding, which itself stays in float32 for the
    /// embedding lookup and the logit lens.
    /// </summary>
    /// <returns>the copy's bytes</returns>
    long QuantizeUnembedding();

    /// <returns>float32 logits [batch, pos, vocab]</returns>
    Tensor Forward(ForwardInput input);

    /// <summary>
    /// A prompt pass that starts at block <paramref name="layer"/> from its input <paramref name="residPre"/>
    /// ([batch, pos, d_model], left unchanged): what <see cref="Forward"/> computes when blocks before
    /// <paramref name="layer"/> produce that stream. Hooks before the block do not fire.
    /// </summary>
    /// <returns>float32 logits [batch, pos, vocab]</returns>
    Tensor ForwardFrom(ForwardInput input, int layer, Tensor residPre);

    /// <summary>
    /// A prompt pass for reading activations: it stops once hook point <paramref name="last"/> has fired, so
    /// later blocks (and, for a point inside the blocks, the final LayerNorm and the unembedding) do not run.
    /// </summary>
    void RunUntil(ForwardInput input, HookPoint last);
}

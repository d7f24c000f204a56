using static TorchSharp.torch;

namespace Steer.Hooks;

/// <summary>
/// Reads an activation and returns a replacement, or null to leave it as it is. A hook may also modify
/// the activation in place. It must not dispose it.
/// </summary>
public delegate Tensor? HookFunction(Tensor activation, HookContext context);

/// <summary>Where a hook fires.</summary>
/// <param name="Name">The hook point, e.g. <c>blocks.6.hook_resid_pre</c>; its canonical name even when the hook was attached by an alias.</param>
/// <param name="Layer">The block, or null for the embedding and final hooks.</param>
/// <param name="PastLength">Positions already in the KV cache; 0 for a prompt pass.</param>
/// <param name="PadLengths">Left padding of each batch row: row b's first real token is at position PadLengths[b].</param>
public sealed record HookContext(string Name, int? Layer, long PastLength, IReadOnlyList<int> PadLengths)
{
    /// <summary>True for a one-position pass that extends a KV cache (a decoding step).</summary>
    public bool IsDecodingStep { get; init; }

    /// <summary>The token ids of this pass, [batch, pos] (padding included); null when the pass starts from a given residual stream.</summary>
    public Tensor? Tokens { get; init; }
}

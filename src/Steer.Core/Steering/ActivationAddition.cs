using Steer.Hooks;

namespace Steer.Steering;

/// <summary>
/// One activation addition of the original code: the activations of a prompt (or literal token ids, BOS
/// included) at a hook point, times a coefficient. A pair is two of them with +c and −c.
/// </summary>
public sealed record ActivationAddition
{
    /// <summary>Tokenised with BOS. Exactly one of Prompt and Tokens is set.</summary>
    public string? Prompt { get; init; }

    public IReadOnlyList<int>? Tokens { get; init; }

    public required double Coeff { get; init; }

    public required string HookPoint { get; init; }

    /// <summary>A bare layer number L means <c>blocks.L.hook_resid_pre</c>.</summary>
    public static ActivationAddition AtLayer(int layer, string prompt, double coeff) =>
        new() { Prompt = prompt, Coeff = coeff, HookPoint = HookNames.ResidPre(layer) };
}

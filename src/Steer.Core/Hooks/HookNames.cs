namespace Steer.Hooks;

/// <summary>
/// TransformerLens's names for the activations a hook can read or replace, with layers counted from 0.
/// In Hugging Face terms <c>hidden_states[L]</c> is <c>blocks.L.hook_resid_pre</c> for L &lt; n_layer, and
/// the last entry of <c>hidden_states</c> is after <c>ln_f</c>, which is not <c>blocks.{n-1}.hook_resid_post</c>.
/// </summary>
public static class HookNames
{
    /// <summary>Token embeddings, <c>[batch, pos, d_model]</c>.</summary>
    public const string Embed = "hook_embed";
    /// <summary>Position embeddings, <c>[batch, pos, d_model]</c>.</summary>
    public const string PosEmbed = "hook_pos_embed";
    /// <summary>The final LayerNorm's output before its scale and bias, <c>[batch, pos, d_model]</c>.</summary>
    public const string LnFinalNormalized = "ln_final.hook_normalized";

    /// <summary>The residual stream entering block L (ActAdd's injection point), <c>[batch, pos, d_model]</c>.</summary>
    public static string ResidPre(int layer) => $"blocks.{layer}.hook_resid_pre";
    public static string AttnOut(int layer) => $"blocks.{layer}.hook_attn_out";
    public static string ResidMid(int layer) => $"blocks.{layer}.hook_resid_mid";
    public static string MlpOut(int layer) => $"blocks.{layer}.hook_mlp_out";
    public static string ResidPost(int layer) => $"blocks.{layer}.hook_resid_post";

    /// <summary>The per-block hook suffixes, in the order a forward pass reaches them.</summary>
    internal static readonly string[] BlockSuffixes = ["hook_resid_pre", "hook_attn_out", "hook_resid_mid", "hook_mlp_out", "hook_resid_post"];

    /// <summary>Every hook point of a model with <paramref name="layers"/> blocks, in forward order.</summary>
    public static IReadOnlyList<string> All(int layers)
    {
        var names = new List<string> { Embed, PosEmbed };
        for (var layer = 0; layer < layers; layer++)
            names.AddRange(BlockSuffixes.Select(suffix => $"blocks.{layer}.{suffix}"));
        names.Add(LnFinalNormalized);
        return names;
    }

    /// <summary>The block a hook name belongs to, or null for the embedding and final hooks.</summary>
    public static int? LayerOf(string name)
    {
        if (!name.StartsWith("blocks.", StringComparison.Ordinal)) return null;
        var end = name.IndexOf('.', 7);
        return end > 7 && int.TryParse(name.AsSpan(7, end - 7), out var layer) ? layer : null;
    }
}

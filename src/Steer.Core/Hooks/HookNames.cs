namespace Steer.Hooks;

/// <summary>
/// TransformerLens's names for the activations a hook can read or replace, with layers counted from 0. Which of
/// them a model has, and in what order a pass reaches them, is up to its architecture (see
/// <see cref="LanguageModel.HookPoints"/>). In Hugging Face terms <c>hidden_states[L]</c> is
/// <c>blocks.L.hook_resid_pre</c> for L &lt; n_layer, and the last entry of <c>hidden_states</c> is after
/// <c>ln_f</c>, which is not <c>blocks.{n-1}.hook_resid_post</c>.
/// </summary>
/// <remarks>
/// Every <c>hook_normalized</c> (ln1, ln2, ln_final) is the norm's output before its scale (and bias): for LayerNorm
/// (x − mean) / √(var + ε) per position, with the biased variance, so it has mean 0 and variance 1 (up to ε); for
/// RMSNorm x / √(mean(x²) + ε). That is what TransformerLens records, with or without folded norm weights.
/// </remarks>
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
    /// <summary>ln_1's output before its scale and bias, <c>[batch, pos, d_model]</c>.</summary>
    public static string Ln1Normalized(int layer) => $"blocks.{layer}.ln1.hook_normalized";
    /// <summary>Queries, <c>[batch, pos, head, d_head]</c>.</summary>
    public static string Q(int layer) => $"blocks.{layer}.attn.hook_q";
    /// <summary>Keys of this pass's positions, <c>[batch, pos, head, d_head]</c>; the KV cache keeps them as hooked.</summary>
    public static string K(int layer) => $"blocks.{layer}.attn.hook_k";
    /// <summary>Values of this pass's positions, <c>[batch, pos, head, d_head]</c>; the KV cache keeps them as hooked.</summary>
    public static string V(int layer) => $"blocks.{layer}.attn.hook_v";
    /// <summary>Queries after RoPE (rotary models only), <c>[batch, pos, head, d_head]</c>.</summary>
    public static string RotQ(int layer) => $"blocks.{layer}.attn.hook_rot_q";
    /// <summary>Keys after RoPE (rotary models only), <c>[batch, pos, kv_head, d_head]</c>; the KV cache keeps them as hooked.</summary>
    public static string RotK(int layer) => $"blocks.{layer}.attn.hook_rot_k";
    /// <summary>q·kᵀ/√d_head with −∞ at keys a query may not see, <c>[batch, head, query, key]</c> (key counts past positions).</summary>
    public static string AttnScores(int layer) => $"blocks.{layer}.attn.hook_attn_scores";
    /// <summary>The row softmax of the scores, <c>[batch, head, query, key]</c>.</summary>
    public static string Pattern(int layer) => $"blocks.{layer}.attn.hook_pattern";
    /// <summary>The pattern applied to the values, per head, <c>[batch, pos, head, d_head]</c>.</summary>
    public static string Z(int layer) => $"blocks.{layer}.attn.hook_z";
    /// <summary>The attention's output after its projection, <c>[batch, pos, d_model]</c>.</summary>
    public static string AttnOut(int layer) => $"blocks.{layer}.hook_attn_out";
    /// <summary>resid_pre + attn_out, <c>[batch, pos, d_model]</c>.</summary>
    public static string ResidMid(int layer) => $"blocks.{layer}.hook_resid_mid";
    /// <summary>ln_2's output before its scale and bias, <c>[batch, pos, d_model]</c>.</summary>
    public static string Ln2Normalized(int layer) => $"blocks.{layer}.ln2.hook_normalized";
    /// <summary>The MLP's hidden layer before its activation function (a gated MLP's gate), <c>[batch, pos, d_mlp]</c>.</summary>
    public static string MlpPre(int layer) => $"blocks.{layer}.mlp.hook_pre";
    /// <summary>A gated MLP's linear (up) projection, which multiplies the activated gate, <c>[batch, pos, d_mlp]</c>.</summary>
    public static string MlpPreLinear(int layer) => $"blocks.{layer}.mlp.hook_pre_linear";
    /// <summary>The MLP's hidden layer after its activation function, <c>[batch, pos, d_mlp]</c>.</summary>
    public static string MlpPost(int layer) => $"blocks.{layer}.mlp.hook_post";
    public static string MlpOut(int layer) => $"blocks.{layer}.hook_mlp_out";
    /// <summary>resid_mid + mlp_out, the input of block L + 1, <c>[batch, pos, d_model]</c>.</summary>
    public static string ResidPost(int layer) => $"blocks.{layer}.hook_resid_post";

    /// <summary>TransformerLens 3's alias of <see cref="ResidPre"/>.</summary>
    public static string BlockIn(int layer) => $"blocks.{layer}.hook_in";
    /// <summary>TransformerLens 3's alias of <see cref="ResidPost"/>.</summary>
    public static string BlockOut(int layer) => $"blocks.{layer}.hook_out";

    /// <summary>The block a hook name belongs to, or null for the embedding and final hooks.</summary>
    public static int? LayerOf(string name)
    {
        if (!name.StartsWith("blocks.", StringComparison.Ordinal)) return null;
        var end = name.IndexOf('.', 7);
        return end > 7 && int.TryParse(name.AsSpan(7, end - 7), out var layer) ? layer : null;
    }
}

using Steer.Hooks;

namespace Steer.Models.Llama;

/// <summary>
/// TransformerLens's hook points for Llama-family models, in forward order: no position embedding, RoPE'd queries
/// and keys (<c>hook_rot_q</c>, <c>hook_rot_k</c>), and the gated MLP's two inputs (<c>hook_pre</c> is the gate,
/// <c>hook_pre_linear</c> the up projection). Keys and values have the key-value head count.
/// </summary>
internal static class LlamaHookPoints
{
    public static (IReadOnlyList<string> Names, IReadOnlyDictionary<string, string> Aliases) For(LlamaConfig config)
    {
        var names = new List<string> { HookNames.Embed };
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var layer = 0; layer < config.Layers; layer++)
        {
            names.AddRange(
            [
                HookNames.ResidPre(layer),
                HookNames.Ln1Normalized(layer),
                HookNames.Q(layer), HookNames.K(layer), HookNames.V(layer),
                HookNames.RotQ(layer), HookNames.RotK(layer),
                HookNames.AttnScores(layer), HookNames.Pattern(layer), HookNames.Z(layer),
                HookNames.AttnOut(layer),
                HookNames.ResidMid(layer),
                HookNames.Ln2Normalized(layer),
                HookNames.MlpPre(layer), HookNames.MlpPreLinear(layer), HookNames.MlpPost(layer),
                HookNames.MlpOut(layer),
                HookNames.ResidPost(layer),
            ]);
            aliases[HookNames.BlockIn(layer)] = HookNames.ResidPre(layer);
            aliases[HookNames.BlockOut(layer)] = HookNames.ResidPost(layer);
        }
        names.Add(HookNames.LnFinalNormalized);
        return (names, aliases);
    }
}

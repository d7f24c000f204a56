using Steer.Hooks;

namespace Steer.Models.Gpt2;

/// <summary>
/// GPT-2's hook points: TransformerLens's set for GPT-2 (without <c>hook_scale</c>), in the order a forward pass
/// reaches them, and TransformerLens 3's block aliases. The modules resolve their points from these names when
/// they are built, so a name listed here that no module fires, or the reverse, shows at once in the tests.
/// </summary>
internal static class Gpt2HookPoints
{
    /// <returns>Canonical names in forward order, and alias → canonical name.</returns>
    public static (IReadOnlyList<string> Names, IReadOnlyDictionary<string, string> Aliases) For(Gpt2Config config)
    {
        var names = new List<string> { HookNames.Embed, HookNames.PosEmbed };
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var layer = 0; layer < config.Layers; layer++)
        {
            names.AddRange(
            [
                HookNames.ResidPre(layer),
                HookNames.Ln1Normalized(layer),
                HookNames.Q(layer), HookNames.K(layer), HookNames.V(layer),
                HookNames.AttnScores(layer), HookNames.Pattern(layer), HookNames.Z(layer),
                HookNames.AttnOut(layer),
                HookNames.ResidMid(layer),
                HookNames.Ln2Normalized(layer),
                HookNames.MlpPre(layer), HookNames.MlpPost(layer),
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

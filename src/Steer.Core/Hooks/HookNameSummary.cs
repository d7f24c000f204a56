namespace Steer.Hooks;

/// <summary>
/// Writes a model's hook names compactly for error messages, e.g.
/// <c>hook_embed, blocks.{0..11}.{hook_resid_pre, hook_resid_post} and ln_final.hook_normalized</c>, from the
/// names themselves, so the message cannot drift from what the model accepts.
/// </summary>
internal static class HookNameSummary
{
    public static string Describe(IReadOnlyList<string> names, IReadOnlyDictionary<string, string> aliases)
    {
        var text = JoinWithAnd(Summarise(names));
        if (aliases.Count == 0) return text;
        // Aliases within one block read as "blocks.{0..11}.hook_in (= hook_resid_pre)"; any other alias is listed as it is.
        var aliasParts = aliases
            .GroupBy(a => HookNames.LayerOf(a.Key) is { } layer && HookNames.LayerOf(a.Value) == layer
                ? $"{Suffix(a.Key, layer)} (= {Suffix(a.Value, layer)})" : null)
            .SelectMany(g => g.Key is null
                ? g.Select(a => $"{a.Key} (= {a.Value})")
                : [$"blocks.{Layers(g.Select(a => HookNames.LayerOf(a.Key)!.Value))}.{g.Key}"]);
        return $"{text}; aliases {JoinWithAnd(aliasParts.ToList())}";
    }

    /// <summary>Non-block names as they are; block names as one <c>blocks.{layers}.{suffixes}</c> entry where the first one was.</summary>
    private static List<string> Summarise(IReadOnlyList<string> names)
    {
        var parts = new List<string>();
        var blockPart = -1;
        var suffixes = new List<string>();
        var layersOf = new Dictionary<string, SortedSet<int>>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (HookNames.LayerOf(name) is not { } layer)
            {
                parts.Add(name);
                continue;
            }
            if (blockPart < 0)
            {
                blockPart = parts.Count;
                parts.Add("");
            }
            var suffix = Suffix(name, layer);
            if (!layersOf.TryGetValue(suffix, out var layers))
            {
                suffixes.Add(suffix);
                layersOf[suffix] = layers = [];
            }
            layers.Add(layer);
        }
        if (blockPart < 0) return parts;
        var first = layersOf[suffixes[0]];
        if (suffixes.All(s => layersOf[s].SetEquals(first)))
        {
            parts[blockPart] = $"blocks.{Layers(first)}.{{{string.Join(", ", suffixes)}}}";
            return parts;
        }
        // Blocks with different hook points: nothing compact would be true, so list them all.
        parts.RemoveAt(blockPart);
        parts.InsertRange(blockPart, names.Where(n => HookNames.LayerOf(n) is not null));
        return parts;
    }

    private static string Suffix(string name, int layer) => name[$"blocks.{layer}.".Length..];

    private static string Layers(IEnumerable<int> layers)
    {
        var sorted = layers.Distinct().Order().ToList();
        if (sorted.Count == 1) return sorted[0].ToString();
        return sorted[^1] - sorted[0] == sorted.Count - 1 ? $"{{{sorted[0]}..{sorted[^1]}}}" : $"{{{string.Join(",", sorted)}}}";
    }

    private static string JoinWithAnd(IReadOnlyList<string> parts) =>
        parts.Count <= 1 ? string.Concat(parts) : $"{string.Join(", ", parts.Take(parts.Count - 1))} and {parts[^1]}";
}

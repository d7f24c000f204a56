using Steer.Generation;
using Steer.Hooks;
using static TorchSharp.torch;

namespace Steer.Tests;

/// <summary>
/// One model call with hooks attached for its duration only, through the model's one hook mechanism
/// (<see cref="HookRegistry.AddRange"/>), so that tests read as "run this with these hooks".
/// </summary>
internal static class HookedCalls
{
    public static Tensor LogitsWith(this LanguageModel model, IReadOnlyList<int> ids, IEnumerable<(string Name, HookFunction Hook)> hooks)
    {
        using var attached = model.Hooks.AddRange(hooks);
        return model.Logits(ids);
    }

    public static BatchLogits LogitsWith(this LanguageModel model, IReadOnlyList<IReadOnlyList<int>> batch, IEnumerable<(string Name, HookFunction Hook)> hooks)
    {
        using var attached = model.Hooks.AddRange(hooks);
        return model.Logits(batch);
    }

    public static (Tensor Logits, ActivationCache Cache) RunWithCacheWith(this LanguageModel model, IReadOnlyList<int> ids,
        IEnumerable<string>? names, IEnumerable<(string Name, HookFunction Hook)> hooks)
    {
        using var attached = model.Hooks.AddRange(hooks);
        return model.RunWithCache(ids, names);
    }

    public static ActivationCache ReadActivationsWith(this LanguageModel model, IReadOnlyList<int> ids, IEnumerable<string> names,
        IEnumerable<(string Name, HookFunction Hook)> hooks)
    {
        using var attached = model.Hooks.AddRange(hooks);
        return model.ReadActivations(ids, names);
    }

    public static GenerationResult GenerateWith(this LanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options,
        IEnumerable<(string Name, HookFunction Hook)> hooks)
    {
        using var attached = model.Hooks.AddRange(hooks);
        return model.Generate(prompts, options);
    }
}

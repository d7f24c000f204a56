using System.Text.Json;
using Steer.Architectures;
using Steer.Models;

namespace Steer.Tests.Conformance;

/// <summary>
/// What the conformance suite needs to know about one architecture: its golden reference file (TestData/, with
/// "model" and "logits" cases in the format of formula-g1.json) and how to build the config that file describes.
/// The model is small (the suite loads it once) and has at least 2 layers (ActAdd is checked at layer 1).
/// </summary>
/// <param name="GoldenFile">A file of TestData/ computed by an independent implementation.</param>
/// <param name="ConfigOf">The config of the golden file's "model" object.</param>
internal sealed record ArchitectureTestData(string GoldenFile, Func<JsonElement, IModelConfig> ConfigOf)
{
    /// <summary>Every registered architecture's test data, by model_type. A new architecture adds one line here.</summary>
    private static readonly Dictionary<string, ArchitectureTestData> ByModelType = new(StringComparer.Ordinal)
    {
        ["gpt2"] = new("formula-g1.json", GoldenModels.AnyConfigOf),
        ["llama"] = new("llama-l1.json", GoldenModels.AnyConfigOf),
        ["mistral"] = new("mistral-m1.json", GoldenModels.AnyConfigOf),
        ["qwen2"] = new("qwen2-q1.json", GoldenModels.AnyConfigOf),
        ["qwen3"] = new("qwen3-q3.json", GoldenModels.AnyConfigOf),
    };

    /// <summary>The model_type of every registered architecture, as theory data.</summary>
    public static TheoryData<string> ModelTypes => [.. ModelRegistry.Architectures.Keys];

    public static ArchitectureTestData For(string modelType) =>
        ByModelType.TryGetValue(modelType, out var data) ? data
            : throw new InvalidOperationException($"architecture '{modelType}' is registered but has no conformance test data; add it to {nameof(ArchitectureTestData)}");
}

using System.Text.Json;
using Steer.IO;
using Steer.Models;
using Steer.Models.Gpt2;
using Steer.Models.Llama;
using Steer.Models.Mistral;
using Steer.Models.Qwen2;
using Steer.Models.Qwen3;

namespace Steer.Architectures;

/// <summary>The one place where architectures are registered, by <c>config.json</c>'s <c>model_type</c>.</summary>
internal static class ModelRegistry
{
    public static IReadOnlyDictionary<string, IArchitecture> Architectures { get; } = new Dictionary<string, IArchitecture>(StringComparer.Ordinal)
    {
        ["gpt2"] = new Gpt2Architecture(),
        ["llama"] = new LlamaArchitecture(),
        ["mistral"] = new MistralArchitecture(),
        ["qwen2"] = new Qwen2Architecture(),
        ["qwen3"] = new Qwen3Architecture(),
    };

    /// <summary>Every architecture's named shapes; names are unique across architectures.</summary>
    public static IReadOnlyDictionary<string, IModelConfig> Shapes { get; } = Architectures.Values
        .SelectMany(a => a.Shapes)
        .ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);

    /// <summary>Real models have at most a few hundred layers.</summary>
    public const int MaxLayers = 4096;

    /// <summary>Parses config.json once, and hands its JSON to the architecture its <c>model_type</c> names.</summary>
    /// <remarks>A config without model_type is GPT-2's, as Hugging Face's oldest GPT-2 configs are.</remarks>
    public static (IArchitecture Architecture, IModelConfig Config) Read(string configPath)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(configPath));
        }
        catch (JsonException e)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"{configPath}: not valid JSON ({e.Message})");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (UntrustedJson.UnreadableString(root) is { } problem)
                throw new SteerException(ErrorKind.InvalidModel, $"{configPath}: not valid JSON ({problem})");
            var modelType = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("model_type", out var t)
                ? t.ValueKind == JsonValueKind.String ? t.GetString() : t.ToString()
                : "gpt2";
            var architecture = Find(modelType, configPath);
            var config = architecture.ParseConfig(root, configPath);
            // Everything per layer (weight names, hook points) is listed before any weight is read, so an absurd
            // layer count would hang or exhaust memory instead of failing.
            if (config.Shape.Layers > MaxLayers)
                throw new SteerException(ErrorKind.InvalidModel,
                    $"{configPath}: {config.Shape.Layers} layers is beyond any real model (at most {MaxLayers}); the config is corrupt");
            return (architecture, config);
        }
    }

    /// <summary>The architecture of a config built in code (a named shape, or a test's).</summary>
    public static IArchitecture For(IModelConfig config) => Find(config.ModelType, "config");

    private static IArchitecture Find(string? modelType, string source) =>
        modelType is not null && Architectures.TryGetValue(modelType, out var architecture) ? architecture
            : throw new SteerException(ErrorKind.InvalidModel,
                $"{source}: model_type '{modelType}' is not supported; supported: {string.Join(", ", Architectures.Keys)}");
}

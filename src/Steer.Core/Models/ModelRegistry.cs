using System.Text.Json;
using Steer.Models.Gpt2;
using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>An architecture: how to build a model from its <c>config.json</c>.</summary>
internal interface IArchitecture
{
    ITransformer Create(string configPath, ScalarType dtype, Device device);
}

/// <summary>The one place where architectures are registered, by <c>config.json</c>'s <c>model_type</c>.</summary>
internal static class ModelRegistry
{
    private static readonly Dictionary<string, IArchitecture> Architectures = new(StringComparer.Ordinal)
    {
        ["gpt2"] = new Gpt2Architecture(),
    };

    public static IArchitecture For(string configPath)
    {
        string? modelType;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            modelType = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("model_type", out var t)
                ? t.GetString() : "gpt2";
        }
        catch (JsonException e)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"{configPath}: not valid JSON ({e.Message})");
        }
        return modelType is not null && Architectures.TryGetValue(modelType, out var architecture) ? architecture
            : throw new SteerException(ErrorKind.InvalidModel,
                $"{configPath}: model_type '{modelType}' is not supported; supported: {string.Join(", ", Architectures.Keys)}");
    }
}

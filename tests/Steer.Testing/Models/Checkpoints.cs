using System.Text.Json;
using Steer.IO;
using Steer.Models;
using Steer.Models.Gpt2;
using static TorchSharp.torch;

namespace Steer.Tests.Models;

/// <summary>
/// Builds checkpoint directories by hand from the formula's tensors, so that tests can rename, add, drop, reshape,
/// convert or shard them the way real checkpoints differ.
/// </summary>
internal static class Checkpoints
{
    /// <summary>A small GPT-2 (2 layers, d_model 32, 4 heads, context 32, vocab 512): every tensor is a few KB.</summary>
    public static readonly Gpt2Config Config = new() { VocabSize = 512, ContextLength = 32, ModelDim = 32, Heads = 4, Layers = 2 };

    public const ulong Seed = 3;

    /// <summary>The tokens whose logits the tests compare.</summary>
    public static readonly int[] Ids = [0, 17, 255, 511, 42, 42, 7];

    /// <summary>The formula's float32 tensors of <see cref="Config"/>, by Hugging Face name, in file order.</summary>
    public static List<(string Name, Tensor Tensor)> Tensors(Gpt2Config? config = null)
    {
        config ??= Config;
        return Gpt2Layout.Shapes(config).Select(s => (s.Key, FormulaWeights.Create(Seed, s.Key, s.Value, Gpt2Formula.Distribution(s.Key, config.ModelDim)))).ToList();
    }

    public static void WriteConfig(string directory, Gpt2Config config) =>
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());

    /// <summary>Writes config.json and model.safetensors holding exactly <paramref name="tensors"/>.</summary>
    public static void Write(string directory, IEnumerable<(string Name, Tensor Tensor)> tensors, Gpt2Config? config = null)
    {
        WriteConfig(directory, config ?? Config);
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), tensors);
    }

    /// <summary>Writes config.json, the shards and model.safetensors.index.json mapping every tensor to its shard.</summary>
    public static void WriteSharded(string directory, IReadOnlyList<IReadOnlyList<(string Name, Tensor Tensor)>> shards)
    {
        WriteConfig(directory, Config);
        var weightMap = new Dictionary<string, string>();
        for (var i = 0; i < shards.Count; i++)
        {
            var file = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            SafetensorsWriter.Write(Path.Combine(directory, file), shards[i]);
            foreach (var (name, _) in shards[i]) weightMap[name] = file;
        }
        var totalSize = shards.SelectMany(s => s).Sum(t => t.Tensor.numel() * t.Tensor.element_size());
        File.WriteAllText(Path.Combine(directory, "model.safetensors.index.json"),
            JsonSerializer.Serialize(new { metadata = new { total_size = totalSize }, weight_map = weightMap }));
    }

    /// <summary>Loads the model in <paramref name="directory"/> and returns its float32 logits of <see cref="Ids"/>.</summary>
    public static Tensor Logits(string directory, ModelOptions? options = null)
    {
        using var model = LanguageModel.Load(directory, options);
        return model.Logits(Ids);
    }

    public static void Dispose(this IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        foreach (var (_, tensor) in tensors) tensor.Dispose();
    }
}

using System.Text.Json;
using Steer.IO;
using static TorchSharp.torch;

namespace Steer.Models.Gpt2;

/// <summary>Writes a formula-weight GPT-2 (see <see cref="FormulaWeights"/>) as a Hugging Face model directory.</summary>
public static class FormulaModel
{
    /// <summary>Writes <c>config.json</c> and <c>model.safetensors</c>, one tensor in memory at a time.</summary>
    /// <param name="fileDType">F32, F16 or BF16 (values rounded to nearest even).</param>
    public static void Write(string directory, Gpt2Config config, ulong seed, string fileDType = "F32")
    {
        config.Validate();
        var dtype = fileDType.ToUpperInvariant() switch
        {
            "F32" => SafetensorsDType.F32,
            "F16" => SafetensorsDType.F16,
            "BF16" => SafetensorsDType.BF16,
            _ => throw new SteerException(ErrorKind.InvalidArgument, $"unknown file dtype '{fileDType}'; use F32, F16 or BF16"),
        };
        Directory.CreateDirectory(directory);
        var shapes = Gpt2Layout.Shapes(config).ToList();
        var layout = shapes.Select(s => (s.Key, dtype, s.Value)).ToList();
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), layout,
            i => FormulaWeights.Create(seed, shapes[i].Key, shapes[i].Value, config.ModelDim),
            new Dictionary<string, string> { ["format"] = "pt", ["steer_formula_seed"] = seed.ToString() });
        var torchDType = dtype switch { SafetensorsDType.BF16 => "bfloat16", SafetensorsDType.F16 => "float16", _ => "float32" };
        var json = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["architectures"] = new[] { "GPT2LMHeadModel" },
            ["model_type"] = "gpt2",
            ["vocab_size"] = config.VocabSize,
            ["n_positions"] = config.ContextLength,
            ["n_ctx"] = config.ContextLength,
            ["n_embd"] = config.ModelDim,
            ["n_layer"] = config.Layers,
            ["n_head"] = config.Heads,
            ["n_inner"] = config.InnerDim,
            ["activation_function"] = "gelu_new",
            ["layer_norm_epsilon"] = config.LayerNormEpsilon,
            ["bos_token_id"] = 50256,
            ["eos_token_id"] = 50256,
            ["torch_dtype"] = torchDType,
        }, new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(Path.Combine(directory, "config.json"), json);
    }
}

using Steer.IO;
using Steer.Models;

namespace Steer.Architectures;

/// <summary>Writes a formula-weight model (see <see cref="FormulaWeights"/>) of any registered architecture as a Hugging Face model directory.</summary>
public static class FormulaModel
{
    /// <summary>
    /// Writes <c>config.json</c> and <c>model.safetensors</c>, one tensor in memory at a time, and, for an architecture
    /// without a built-in tokenizer, small tokenizer files when the vocabulary allows (see the architecture).
    /// </summary>
    /// <param name="fileDType">F32, F16 or BF16 (values rounded to nearest even).</param>
    public static void Write(string directory, IModelConfig config, ulong seed, string fileDType = "F32")
    {
        var architecture = ModelRegistry.For(config);
        config = config.Validate();
        var dtype = fileDType.ToUpperInvariant() switch
        {
            "F32" => SafetensorsDType.F32,
            "F16" => SafetensorsDType.F16,
            "BF16" => SafetensorsDType.BF16,
            _ => throw new SteerException(ErrorKind.InvalidArgument, $"unknown file dtype '{fileDType}'; use F32, F16 or BF16"),
        };
        Directory.CreateDirectory(directory);
        var shapes = architecture.Layout(config).ToList();
        var layout = shapes.Select(s => (s.Key, dtype, s.Value)).ToList();
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), layout,
            i => FormulaWeights.Create(seed, shapes[i].Key, shapes[i].Value, architecture.FormulaDistribution(config, shapes[i].Key)),
            new Dictionary<string, string> { ["format"] = "pt", ["steer_formula_seed"] = seed.ToString() });
        var torchDType = dtype switch { SafetensorsDType.BF16 => "bfloat16", SafetensorsDType.F16 => "float16", _ => "float32" };
        File.WriteAllText(Path.Combine(directory, "config.json"), architecture.FormulaConfigJson(config, torchDType));
        architecture.WriteFormulaTokenizer(directory, config);
    }
}

namespace Steer.Models.Gpt2;

/// <summary>
/// The formula's distribution for each GPT-2 tensor (see <see cref="FormulaWeights"/>): roughly a trained GPT-2's
/// scales, so that activations and logits look like a real model's. The golden files in the tests depend on it.
/// </summary>
internal static class Gpt2Formula
{
    /// <summary>The (mean, std) for a Hugging Face GPT-2 tensor name.</summary>
    public static (double Mean, double Std) Distribution(string name, int modelDim)
    {
        var leaf = name.StartsWith("h.", StringComparison.Ordinal) ? name[(name.IndexOf('.', 2) + 1)..] : name;
        var invSqrtD = 1.0 / Math.Sqrt(modelDim);
        return leaf switch
        {
            "wte.weight" => (0, 0.1),
            "wpe.weight" => (0, 0.05),
            "ln_1.weight" or "ln_2.weight" or "ln_f.weight" => (1, 0.1),
            "ln_1.bias" or "ln_2.bias" or "ln_f.bias" => (0, 0.05),
            "attn.c_attn.weight" => (0, invSqrtD),
            "attn.c_attn.bias" => (0, 0.05),
            "attn.c_proj.weight" or "attn.c_proj.bias" => (0, 0.02),
            "mlp.c_fc.weight" => (0, invSqrtD),
            "mlp.c_fc.bias" => (0, 0.1),
            "mlp.c_proj.weight" or "mlp.c_proj.bias" => (0, 0.02),
            _ => throw new ArgumentException($"no formula for tensor '{name}'", nameof(name)),
        };
    }
}

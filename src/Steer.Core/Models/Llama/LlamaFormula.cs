namespace Steer.Models.Llama;

/// <summary>
/// The formula's (mean, std) per Llama-family tensor (see <see cref="FormulaWeights"/>), as the reference values in
/// the tests' data define them: residuals of order 1, attention scores and SwiGLU inputs of order 1, logits ~N(0, 1).
/// </summary>
internal static class LlamaFormula
{
    public static (double Mean, double Std) Distribution(LlamaConfig c, string name)
    {
        var invSqrtD = 1.0 / Math.Sqrt(c.ModelDim);
        if (name.EndsWith(".bias", StringComparison.Ordinal)) return (0, 0.05);
        var leaf = name.StartsWith("model.layers.", StringComparison.Ordinal) ? name[(name.IndexOf('.', 13) + 1)..] : name;
        return leaf switch
        {
            LlamaLayout.Embedding => (0, 0.1),
            LlamaLayout.LmHead => (0, invSqrtD),
            "input_layernorm.weight" or "post_attention_layernorm.weight" or "model.norm.weight"
                or "self_attn.q_norm.weight" or "self_attn.k_norm.weight" => (1, 0.1),
            "self_attn.q_proj.weight" or "self_attn.k_proj.weight" or "self_attn.v_proj.weight" => (0, invSqrtD),
            "self_attn.o_proj.weight" => (0, 0.5 / Math.Sqrt(c.Heads * c.HeadDim)),
            "mlp.gate_proj.weight" or "mlp.up_proj.weight" => (0, invSqrtD),
            "mlp.down_proj.weight" => (0, 0.5 / Math.Sqrt(c.MlpDim)),
            _ => throw new ArgumentException($"no formula for tensor '{name}'", nameof(name)),
        };
    }
}

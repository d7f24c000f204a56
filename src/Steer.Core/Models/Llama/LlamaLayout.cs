namespace Steer.Models.Llama;

/// <summary>The tensors of a Hugging Face Llama-family checkpoint, in file order.</summary>
internal static class LlamaLayout
{
    public const string Embedding = "model.embed_tokens.weight";
    public const string LmHead = "lm_head.weight";

    public static Dictionary<string, long[]> Shapes(LlamaConfig c)
    {
        long d = c.ModelDim, q = c.Heads * c.HeadDim, kv = c.KvHeads * c.HeadDim, mlp = c.MlpDim;
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal) { [Embedding] = [c.VocabSize, d] };
        for (var i = 0; i < c.Layers; i++)
        {
            var p = $"model.layers.{i}.";
            shapes[p + "input_layernorm.weight"] = [d];
            Projection(shapes, p + "self_attn.q_proj", q, d, c.QkvBias);
            Projection(shapes, p + "self_attn.k_proj", kv, d, c.QkvBias);
            Projection(shapes, p + "self_attn.v_proj", kv, d, c.QkvBias);
            Projection(shapes, p + "self_attn.o_proj", d, q, c.OutputBias);
            if (c.QkNorm)
            {
                shapes[p + "self_attn.q_norm.weight"] = [c.HeadDim];
                shapes[p + "self_attn.k_norm.weight"] = [c.HeadDim];
            }
            shapes[p + "post_attention_layernorm.weight"] = [d];
            Projection(shapes, p + "mlp.gate_proj", mlp, d, c.MlpBias);
            Projection(shapes, p + "mlp.up_proj", mlp, d, c.MlpBias);
            Projection(shapes, p + "mlp.down_proj", d, mlp, c.MlpBias);
        }
        shapes["model.norm.weight"] = [d];
        if (!c.TieWordEmbeddings) shapes[LmHead] = [c.VocabSize, d];
        return shapes;
    }

    /// <summary>An nn.Linear: weight [out, in] and, with a bias, bias [out].</summary>
    private static void Projection(Dictionary<string, long[]> shapes, string name, long outFeatures, long inFeatures, bool bias)
    {
        shapes[name + ".weight"] = [outFeatures, inFeatures];
        if (bias) shapes[name + ".bias"] = [outFeatures];
    }
}

namespace Steer.Models.Gpt2;

/// <summary>The tensors of a Hugging Face GPT-2 checkpoint (without prefix and buffers), in file order.</summary>
internal static class Gpt2Layout
{
    public static Dictionary<string, long[]> Shapes(Gpt2Config c)
    {
        long d = c.ModelDim, inner = c.MlpDim;
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal)
        {
            ["wte.weight"] = [c.VocabSize, d],
            ["wpe.weight"] = [c.ContextLength, d],
        };
        for (var i = 0; i < c.Layers; i++)
        {
            shapes[$"h.{i}.ln_1.weight"] = [d];
            shapes[$"h.{i}.ln_1.bias"] = [d];
            shapes[$"h.{i}.attn.c_attn.weight"] = [d, 3 * d];
            shapes[$"h.{i}.attn.c_attn.bias"] = [3 * d];
            shapes[$"h.{i}.attn.c_proj.weight"] = [d, d];
            shapes[$"h.{i}.attn.c_proj.bias"] = [d];
            shapes[$"h.{i}.ln_2.weight"] = [d];
            shapes[$"h.{i}.ln_2.bias"] = [d];
            shapes[$"h.{i}.mlp.c_fc.weight"] = [d, inner];
            shapes[$"h.{i}.mlp.c_fc.bias"] = [inner];
            shapes[$"h.{i}.mlp.c_proj.weight"] = [inner, d];
            shapes[$"h.{i}.mlp.c_proj.bias"] = [d];
        }
        shapes["ln_f.weight"] = [d];
        shapes["ln_f.bias"] = [d];
        return shapes;
    }
}

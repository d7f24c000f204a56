using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Models.Gpt2;

/// <summary>
/// Deterministic GPT-2 weights from a portable formula, so that any implementation can rebuild the exact
/// same float32 model without shipping a file. Element k of tensor <c>name</c> is
/// <c>mean + std·√3·(2u − 1)</c>, with u from splitmix64 seeded by <c>seed XOR fnv1a64(name)</c>.
/// Reference values for two such models live in the tests' data.
/// </summary>
public static class FormulaWeights
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    public static ulong Fnv1a64(string text)
    {
        var h = 0xcbf29ce484222325UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(text))
        {
            h ^= b;
            h *= 0x100000001b3UL;
        }
        return h;
    }

    /// <summary>The (mean, std) of the formula for a Hugging Face GPT-2 tensor name.</summary>
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

    /// <summary>Fills <paramref name="values"/> with elements [offset, offset + values.Length) of the tensor.</summary>
    public static void Fill(ulong seed, string name, int modelDim, Span<float> values, long offset = 0)
    {
        var (mean, std) = Distribution(name, modelDim);
        var scale = std * 1.7320508075688772;
        var seedT = seed ^ Fnv1a64(name);
        for (var i = 0; i < values.Length; i++)
        {
            var z = seedT + (ulong)(offset + i + 1) * Golden;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            var u = (z >> 11) * (1.0 / 9007199254740992.0);
            values[i] = (float)(mean + scale * (2.0 * u - 1.0));
        }
    }

    /// <summary>A new float32 CPU tensor holding the formula's values for <paramref name="name"/>.</summary>
    public static Tensor Create(ulong seed, string name, long[] shape, int modelDim)
    {
        var tensor = empty(shape, ScalarType.Float32);
        FillTensor(seed, name, modelDim, tensor);
        return tensor;
    }

    /// <summary>Fills a contiguous float32 CPU tensor in parallel chunks.</summary>
    public static void FillTensor(ulong seed, string name, int modelDim, Tensor destination)
    {
        const int chunk = 1 << 16;
        var count = destination.numel();
        var bytes = destination.bytes;
        unsafe
        {
            fixed (byte* p = bytes)
            {
                var basePtr = (IntPtr)p;
                Parallel.For(0, (int)((count + chunk - 1) / chunk), c =>
                {
                    long start = (long)c * chunk;
                    var length = (int)Math.Min(chunk, count - start);
                    var span = new Span<float>((float*)basePtr + start, length);
                    Fill(seed, name, modelDim, span, start);
                });
            }
        }
    }
}

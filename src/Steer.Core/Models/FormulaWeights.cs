using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>
/// Deterministic weights from a portable formula, so that any implementation can rebuild the exact same float32
/// model without shipping a file. Element k of tensor <c>name</c> is <c>mean + std·√3·(2u − 1)</c>, with u from
/// splitmix64 seeded by <c>seed XOR fnv1a64(name)</c>. Each architecture chooses (mean, std) per tensor
/// (<see cref="IArchitecture.FormulaDistribution"/>); reference values for GPT-2 models live in the tests' data.
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

    /// <summary>Fills <paramref name="values"/> with elements [offset, offset + values.Length) of the tensor.</summary>
    public static void Fill(ulong seed, string name, (double Mean, double Std) distribution, Span<float> values, long offset = 0)
    {
        var (mean, std) = distribution;
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
    public static Tensor Create(ulong seed, string name, long[] shape, (double Mean, double Std) distribution)
    {
        var tensor = empty(shape, ScalarType.Float32);
        FillTensor(seed, name, distribution, tensor);
        return tensor;
    }

    /// <summary>Fills a contiguous float32 CPU tensor in parallel chunks.</summary>
    public static void FillTensor(ulong seed, string name, (double Mean, double Std) distribution, Tensor destination)
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
                    Fill(seed, name, distribution, span, start);
                });
            }
        }
    }
}

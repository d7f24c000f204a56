using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Steer.Runtime.Kernels;

/// <summary>
/// GGUF's Q8_0 block quantization: a row is cut into blocks of 32 values, each stored as 32 signed bytes q and one
/// scale d = max|x| / 127, with x ≈ d·q and q = round(x / d) (halves away from zero, as llama.cpp's quantize_row_q8_0).
/// Weights and activations are quantized the same way; the products then multiply bytes and apply one scale pair
/// per block.
/// </summary>
internal static unsafe class Q8Blocks
{
    public const int BlockSize = 32;

    /// <summary>Quantizes <paramref name="count"/> floats (a multiple of 32) into signed bytes and one scale per block.</summary>
    public static void Quantize(float* x, int count, sbyte* quants, float* scales)
    {
        if (Vector256.IsHardwareAccelerated) QuantizeVector(x, count, quants, scales);
        else QuantizeScalar(x, count, quants, scales);
    }

    /// <summary>The definition, one value at a time; the reference the vector path is tested against.</summary>
    internal static void QuantizeScalar(float* x, int count, sbyte* quants, float* scales)
    {
        for (var block = 0; block < count / BlockSize; block++)
        {
            var values = x + block * BlockSize;
            var max = 0f;
            for (var i = 0; i < BlockSize; i++) max = MathF.Max(max, MathF.Abs(values[i]));
            var scale = max / 127f;
            var inverse = scale == 0 ? 0f : 1f / scale;
            scales[block] = scale;
            for (var i = 0; i < BlockSize; i++)
                quants[block * BlockSize + i] = (sbyte)MathF.Round(values[i] * inverse, MidpointRounding.AwayFromZero);
        }
    }

    /// <summary>
    /// <see cref="QuantizeScalar"/> eight values at a time (loading an int8 model quantizes every weight once).
    /// Halves round away from zero as <c>MathF.Round</c> does: round to even, then move the exact ties outwards.
    /// </summary>
    private static void QuantizeVector(float* x, int count, sbyte* quants, float* scales)
    {
        var half = Vector256.Create(0.5f);
        for (var block = 0; block < count / BlockSize; block++)
        {
            var p = x + block * BlockSize;
            Vector256<float> v0 = Vector256.Load(p), v1 = Vector256.Load(p + 8), v2 = Vector256.Load(p + 16), v3 = Vector256.Load(p + 24);
            var max = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
            var max4 = Vector128.Max(max.GetLower(), max.GetUpper());
            var max2 = Vector128.Max(max4, Vector128.Shuffle(max4, Vector128.Create(2, 3, 0, 1)));
            var scale = Vector128.Max(max2, Vector128.Shuffle(max2, Vector128.Create(1, 0, 3, 2))).ToScalar() / 127f;
            scales[block] = scale;
            var inverse = Vector256.Create(scale == 0 ? 0f : 1f / scale);
            var shorts0 = Vector256.Narrow(Round(v0 * inverse, half), Round(v1 * inverse, half));
            var shorts1 = Vector256.Narrow(Round(v2 * inverse, half), Round(v3 * inverse, half));
            Vector256.Narrow(shorts0, shorts1).Store(quants + block * BlockSize);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Round(Vector256<float> v, Vector256<float> half)
    {
        var truncated = Vector256.Truncate(v);
        var tie = Vector256.Equals(Vector256.Abs(v - truncated), half);
        var away = truncated + Vector256.CopySign(Vector256<float>.One, v);
        return Vector256.ConvertToInt32(Vector256.ConditionalSelect(tie, away, Vector256.Round(v)));
    }

    /// <summary>The float values the blocks stand for: d·q.</summary>
    public static void Dequantize(sbyte* quants, float* scales, int count, float* destination)
    {
        for (var i = 0; i < count; i++) destination[i] = scales[i / BlockSize] * quants[i];
    }
}

/// <summary>One matrix of activations [rows, inner], quantized per block for a product with Q8_0 weights.</summary>
internal unsafe struct Q8Activations
{
    public sbyte* Quants;        // [rows, inner]
    public float* Scales;        // [rows, inner / 32]
    public int Rows;
    public int Inner;

    public readonly int Blocks => Inner / Q8Blocks.BlockSize;

    /// <summary>Quantizes x [rows, inner] into the given buffers (sized by the caller).</summary>
    public static Q8Activations Quantize(float* x, int rows, int inner, sbyte* quants, float* scales)
    {
        var a = new Q8Activations { Quants = quants, Scales = scales, Rows = rows, Inner = inner };
        for (var row = 0; row < rows; row++)
            Q8Blocks.Quantize(x + (long)row * inner, inner, quants + (long)row * inner, scales + (long)row * a.Blocks);
        return a;
    }
}

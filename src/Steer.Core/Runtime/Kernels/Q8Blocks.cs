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

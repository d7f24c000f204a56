namespace Steer.Runtime.Kernels;

internal enum WeightFormat
{
    Float32,
    /// <summary>Raw bfloat16 bits, one ushort per value.</summary>
    BFloat16,
}

/// <summary>
/// One small-batch product: float32 inputs and outputs, float32 or bfloat16 weights and bias. The memory
/// belongs to the caller, who keeps it alive (pinned) until the kernel returns; rows are contiguous.
/// </summary>
internal readonly unsafe struct GemmArguments(float* x, int rows, int inner, void* weight, void* bias, WeightFormat format, int outputs, float* y)
{
    /// <summary>[Rows, Inner]</summary>
    public readonly float* X = x;
    public readonly int Rows = rows;
    public readonly int Inner = inner;
    /// <summary>[Inner, Outputs] for <see cref="RowStreamKernel"/>, [Outputs, Inner] for <see cref="DotProductKernel"/></summary>
    public readonly void* Weight = weight;
    /// <summary>[Outputs], in <see cref="Format"/>, or null</summary>
    public readonly void* Bias = bias;
    public readonly WeightFormat Format = format;
    public readonly int Outputs = outputs;
    /// <summary>[Rows, Outputs]</summary>
    public readonly float* Y = y;

    public int WeightElementSize => Format == WeightFormat.Float32 ? sizeof(float) : sizeof(ushort);

    public float BiasAt(int column) =>
        Bias is null ? 0f
        : Format == WeightFormat.Float32 ? ((float*)Bias)[column]
        : BFloat16Conversion.ToSingle(((ushort*)Bias)[column]);
}

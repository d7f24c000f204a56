using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Runtime.Kernels;

/// <summary>
/// The tensor side of <see cref="SmallBatchGemm"/>: when the kernels replace libtorch for a linear layer, and
/// the dtype plumbing. The activations of a bfloat16 model are bfloat16: x (a few rows) is widened to float32 and
/// y rounded back to bfloat16 (to nearest even, as libtorch's bfloat16 GEMM does after accumulating in float32).
/// Both conversions are done here rather than with libtorch ops, whose dispatch costs more than the conversion.
/// </summary>
internal static unsafe class SmallBatchLinear
{
    private static readonly Lazy<SmallBatchGemm> Shared = new(
        () => new SmallBatchGemm(Math.Min(torch.get_num_threads(), Environment.ProcessorCount), SimdLevels.Best),
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Threads per product, counting the caller (libtorch's thread count, at most the processors).</summary>
    internal static int Threads => Shared.Value.Threads;

    /// <summary>float32 copies of x and y for a bfloat16 model, per calling thread.</summary>
    [ThreadStatic] private static float[]? _xBuffer, _yBuffer;

    /// <summary>
    /// On where the CPU has AVX2 or AVX-512, unless the environment sets <c>STEER_DECODE_KERNELS=0</c> (to compare
    /// with libtorch's own path in <c>steer bench</c>). Tests switch it off to compare the two paths.
    /// </summary>
    internal static bool Enabled { get; set; } =
        SimdLevels.Best != SimdLevel.Scalar && Environment.GetEnvironmentVariable("STEER_DECODE_KERNELS") != "0";

    /// <summary>
    /// Whether <paramref name="x"/> [rows, in] times float32 or bfloat16 weights should go through the kernels:
    /// 1 to <see cref="SmallBatchGemm.MaxRows"/> rows (decoding), on the CPU, with AVX2 or AVX-512 (the scalar
    /// fallback exists for tests and portability, and loses to libtorch), and no autograd to record the product.
    /// </summary>
    /// <remarks>
    /// steer bench, GPT-2 small shape on 2 cores (AVX-512), decode tokens/s at batch 1 / batch 4, kernels against
    /// libtorch's path: float32 45 / 131 against 45 / 96; bfloat16 72 / 180 against 34 / 101. Nothing measured lost,
    /// so there is no size threshold.
    /// </remarks>
    public static bool Handles(Tensor x, Tensor weight) =>
        Enabled
        && x.size(0) is >= 1 and <= SmallBatchGemm.MaxRows
        && !x.requires_grad
        && weight.device_type == DeviceType.CPU
        && weight.is_contiguous()
        && weight.dtype is ScalarType.Float32 or ScalarType.BFloat16
        && x.dtype is ScalarType.Float32 or ScalarType.BFloat16;

    /// <summary>
    /// What the kernels need of a layer's weight, read once: a parameter's shape, dtype and layout do not change after
    /// loading, and each read of them crosses into libtorch (about 0.5 µs each, 10 µs a product on this path before).
    /// </summary>
    internal sealed record KernelWeight(int Inner, int Outputs, bool OutputMajor);

    /// <returns>
    /// the weight's description, or null where the kernels cannot take it: not on the CPU, not float32 or bfloat16, not
    /// contiguous, or an input-major weight without a bias (that kernel always adds one)
    /// </returns>
    public static KernelWeight? Describe(Tensor weight, Tensor? bias, bool outputMajor)
    {
        if (weight.device_type != DeviceType.CPU || weight.dim() != 2 || !weight.is_contiguous()
            || weight.dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            return null;
        var (inner, outputs) = outputMajor ? (weight.size(1), weight.size(0)) : (weight.size(0), weight.size(1));
        if (inner > int.MaxValue || outputs > int.MaxValue || (!outputMajor && bias is null)) return null;
        if (bias is not null && (bias.dtype != weight.dtype || bias.numel() != outputs || !bias.is_contiguous())) return null;
        return new KernelWeight((int)inner, (int)outputs, outputMajor);
    }

    /// <summary>
    /// x [..., in] times a described weight (plus its bias) → [..., out] in x's dtype, or null where x cannot take the
    /// kernels (more than <see cref="SmallBatchGemm.MaxRows"/> rows, another dtype, not contiguous, autograd).
    /// </summary>
    /// <param name="resultShape">x's shape with its last size replaced by the weight's outputs</param>
    public static Tensor? TryMultiply(Tensor x, Tensor weight, Tensor? bias, KernelWeight described, long[] resultShape)
    {
        if (!Enabled || x.dtype is not (ScalarType.Float32 or ScalarType.BFloat16) || !x.is_contiguous() || x.requires_grad) return null;
        var values = x.numel();
        if (values % described.Inner != 0 || values / described.Inner is < 1 or > SmallBatchGemm.MaxRows) return null;
        var rows = (int)(values / described.Inner);
        var y = Run(x, rows, described.Inner, weight, described.OutputMajor ? null : bias, described.Outputs, x.dtype,
            described.OutputMajor, resultShape);
        // As Linear.Multiply always did for output-major weights: the bias added to the rounded product.
        return described.OutputMajor && bias is not null ? y.add_(bias) : y;
    }

    /// <summary>GPT-2's Conv1D: x [m, in] · W [in, out] + bias [out] → [m, out] in x's dtype.</summary>
    public static Tensor InputMajor(Tensor x, Tensor weight, Tensor bias)
    {
        var (inner, outputs) = (weight.size(0), weight.size(1));
        CheckShapes(x, weight, bias, inner, outputs);
        return Run(x, (int)x.size(0), (int)inner, weight, bias, (int)outputs, x.dtype, dotProducts: false, [x.size(0), outputs]);
    }

    /// <summary>x [m, in] · E [out, in]ᵀ → [m, out] in <paramref name="resultType"/>, e.g. logits from the tied unembedding.</summary>
    public static Tensor OutputMajor(Tensor x, Tensor weight, ScalarType resultType)
    {
        var (outputs, inner) = (weight.size(0), weight.size(1));
        CheckShapes(x, weight, bias: null, inner, outputs);
        return Run(x, (int)x.size(0), (int)inner, weight, bias: null, (int)outputs, resultType, dotProducts: true, [x.size(0), outputs]);
    }

    /// <param name="x">rows × inner values, in any shape</param>
    private static Tensor Run(Tensor x, int rows, int inner, Tensor weight, Tensor? bias, int outputs, ScalarType resultType, bool dotProducts,
        long[] resultShape)
    {
        var format = weight.dtype == ScalarType.Float32 ? WeightFormat.Float32 : WeightFormat.BFloat16;
        var bfloat16Input = x.dtype == ScalarType.BFloat16;
        var bfloat16Result = resultType == ScalarType.BFloat16;
        var result = empty(resultShape, resultType);
        using var contiguous = x.is_contiguous() ? null : x.contiguous();
        var xBuffer = bfloat16Input ? Buffer(ref _xBuffer, rows * inner) : null;
        var yBuffer = bfloat16Result ? Buffer(ref _yBuffer, rows * outputs) : null;
        fixed (byte* px = (contiguous ?? x).bytes)
        fixed (byte* pw = weight.bytes)
        fixed (byte* pb = bias is null ? default : bias.bytes)
        fixed (byte* pr = result.bytes)
        fixed (float* xf = xBuffer)
        fixed (float* yf = yBuffer)
        {
            if (bfloat16Input) BFloat16Conversion.Widen((ushort*)px, xf, rows * inner);
            var y = bfloat16Result ? yf : (float*)pr;
            var arguments = new GemmArguments(bfloat16Input ? xf : (float*)px, rows, inner, pw, pb, format, outputs, y);
            if (dotProducts) Shared.Value.DotProducts(arguments);
            else Shared.Value.RowStream(arguments);
            if (bfloat16Result) BFloat16Conversion.Round(yf, (ushort*)pr, rows * outputs);
        }
        return result;
    }

    private static float[] Buffer(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = new float[Math.Max(length, 4096)];
        return buffer;
    }

    private static void CheckShapes(Tensor x, Tensor weight, Tensor? bias, long inner, long outputs)
    {
        if (x.dim() != 2 || weight.dim() != 2 || x.size(1) != inner || x.size(0) is < 1 or > SmallBatchGemm.MaxRows)
            throw new ArgumentException($"cannot multiply x [{string.Join(", ", x.shape)}] by weight [{string.Join(", ", weight.shape)}]");
        if (x.dtype is not (ScalarType.Float32 or ScalarType.BFloat16) || weight.dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"unsupported dtypes {x.dtype} × {weight.dtype}");
        if (!weight.is_contiguous() || bias is not null && (bias.dtype != weight.dtype || bias.numel() != outputs || !bias.is_contiguous()))
            throw new ArgumentException("the weight and bias must be contiguous, with the bias [out] in the weight's dtype");
        if (outputs > int.MaxValue || inner > int.MaxValue)
            throw new ArgumentException("the weight is too large for the small-batch kernels");
    }
}

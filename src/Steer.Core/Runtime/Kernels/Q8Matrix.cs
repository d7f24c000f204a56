using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Runtime.Kernels;

/// <summary>
/// A weight matrix held as Q8_0 blocks (see <see cref="Q8Blocks"/>), output-major [out, inner] whatever the
/// checkpoint's layout, in native memory: what <c>--dtype int8</c> keeps of a linear layer's float32 weight.
/// </summary>
/// <remarks>
/// Products of any number of rows go through <see cref="Q8DotKernel"/>: the activations are quantized per block,
/// then every output is one thread's exact integer dot products, scaled per block. Outputs are cut into parts by
/// shape alone and claimed by the caller and <see cref="KernelTeam"/>'s workers, so results are bit-identical from
/// call to call.
/// </remarks>
internal sealed unsafe class Q8Matrix : IDisposable
{
    private sbyte* _quants;   // [out, inner]
    private float* _scales;   // [out, inner / 32]

    private Q8Matrix(int outputs, int inner)
    {
        Outputs = outputs;
        Inner = inner;
        _quants = (sbyte*)NativeMemory.AlignedAlloc((nuint)((long)outputs * inner), 64);
        _scales = (float*)NativeMemory.AlignedAlloc((nuint)((long)outputs * Blocks * sizeof(float)), 64);
    }

    public int Outputs { get; }
    public int Inner { get; }
    private int Blocks => Inner / Q8Blocks.BlockSize;

    /// <summary>Bytes one product reads: the quantized values and their scales.</summary>
    public long Bytes => (long)Outputs * Inner + (long)Outputs * Blocks * sizeof(float);

    /// <summary>Whether a weight [out, inner] can be held as Q8_0: the inner dimension must be a multiple of 32.</summary>
    public static bool CanQuantize(Tensor weight) =>
        weight.dim() == 2 && weight.device_type == DeviceType.CPU
        && weight.size(1) % Q8Blocks.BlockSize == 0
        && weight.size(0) <= int.MaxValue && weight.size(1) <= int.MaxValue;

    /// <summary>Quantizes a float weight [out, inner] (a transposed view is fine), one output row at a time.</summary>
    public static Q8Matrix From(Tensor weight)
    {
        if (!CanQuantize(weight)) throw new ArgumentException($"cannot quantize a weight of shape [{string.Join(", ", weight.shape)}]");
        using var scope = NewDisposeScope();
        // [out, inner] in float32; for a transposed view this is one float32 copy of one matrix.
        var rows = weight.to(ScalarType.Float32).contiguous();
        var matrix = new Q8Matrix((int)rows.size(0), (int)rows.size(1));
        fixed (byte* source = rows.bytes)
            for (var v = 0; v < matrix.Outputs; v++)
                Q8Blocks.Quantize((float*)source + (long)v * matrix.Inner, matrix.Inner,
                    matrix._quants + (long)v * matrix.Inner, matrix._scales + (long)v * matrix.Blocks);
        return matrix;
    }

    /// <summary>The float32 values the blocks stand for, [out, inner].</summary>
    public Tensor Dequantize()
    {
        var result = empty([Outputs, Inner], ScalarType.Float32);
        fixed (byte* destination = result.bytes)
            for (var v = 0; v < Outputs; v++)
                Q8Blocks.Dequantize(_quants + (long)v * Inner, _scales + (long)v * Blocks, Inner, (float*)destination + (long)v * Inner);
        return result;
    }

    /// <param name="x">[m, inner], float32</param>
    /// <param name="bias">[out], float32, or null</param>
    /// <returns>[m, out], float32</returns>
    public Tensor Multiply(Tensor x, Tensor? bias, Q8Level? level = null)
    {
        ObjectDisposedException.ThrowIf(_quants == null, this);
        if (x.dim() != 2 || x.size(1) != Inner || x.dtype != ScalarType.Float32)
            throw new ArgumentException($"cannot multiply x [{string.Join(", ", x.shape)}] ({x.dtype}) by an int8 weight [{Outputs}, {Inner}]");
        if (bias is not null && (bias.dtype != ScalarType.Float32 || bias.numel() != Outputs))
            throw new ArgumentException("the bias must be float32 [out]");
        var rows = (int)x.size(0);
        var result = empty([rows, Outputs], ScalarType.Float32);
        using var contiguous = x.is_contiguous() ? null : x.contiguous();
        using var biasContiguous = bias is null || bias.is_contiguous() ? null : bias.contiguous();
        var buffers = ActivationBuffers.For(rows, Inner);
        fixed (byte* px = (contiguous ?? x).bytes)
        fixed (byte* pb = bias is null ? default : (biasContiguous ?? bias).bytes)
        fixed (byte* py = result.bytes)
        fixed (sbyte* quants = buffers.Quants)
        fixed (float* scales = buffers.Scales)
        {
            var activations = Q8Activations.Quantize((float*)px, rows, Inner, quants, scales);
            var job = new Job
            {
                X = activations,
                Weights = _quants,
                Scales = _scales,
                Bias = (float*)pb,
                Y = (float*)py,
                Outputs = Outputs,
                Level = level ?? Q8Levels.Best,
            };
            var threads = SmallBatchLinear.Threads;
            job.Parts = SmallBatchGemm.Parts(threads, Outputs, Bytes / Outputs, unroll: 1);
            KernelTeam.Run(&Part, &job, job.Parts, threads);
        }
        return result;
    }

    private struct Job
    {
        public Q8Activations X;
        public sbyte* Weights;
        public float* Scales;
        public float* Bias;
        public float* Y;
        public int Outputs;
        public int Parts;
        public Q8Level Level;
    }

    private static void Part(void* state, int part)
    {
        var job = (Job*)state;
        var (v0, v1) = SmallBatchGemm.PartRange(job->Outputs, job->Parts, part, unroll: 1);
        Q8DotKernel.Compute(job->X, job->Weights, job->Scales, job->Bias, job->Outputs, job->Y, v0, v1, job->Level);
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_quants);
        NativeMemory.AlignedFree(_scales);
        _quants = null;
        _scales = null;
        GC.SuppressFinalize(this);
    }

    ~Q8Matrix() => Dispose();

    /// <summary>The quantized activations' buffers, per calling thread (concurrent callers never share them), pinned.</summary>
    private sealed class ActivationBuffers
    {
        [ThreadStatic] private static ActivationBuffers? _current;

        public sbyte[] Quants = [];
        public float[] Scales = [];

        public static ActivationBuffers For(int rows, int inner)
        {
            var buffers = _current ??= new ActivationBuffers();
            var values = (long)rows * inner;
            var blocks = values / Q8Blocks.BlockSize;
            if (buffers.Quants.Length < values) buffers.Quants = GC.AllocateUninitializedArray<sbyte>((int)values, pinned: true);
            if (buffers.Scales.Length < blocks) buffers.Scales = GC.AllocateUninitializedArray<float>((int)blocks, pinned: true);
            return buffers;
        }
    }
}

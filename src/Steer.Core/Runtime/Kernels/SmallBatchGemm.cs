using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Steer.Runtime.Kernels;

/// <summary>
/// Matrix products with a handful of rows in x (KV-cached decoding), split across threads: memory-bound
/// matrix-vector work that libtorch does poorly for bfloat16 weights (oneDNN repacks B on every call).
/// <see cref="RowStream"/> is y = x·W + b for W [in, out]; <see cref="DotProducts"/> is y = x·Eᵀ + b for E [out, in].
/// </summary>
/// <remarks>
/// Results are bit-identical from call to call, whichever thread runs which piece: a row-stream product is cut into a
/// fixed number of parts (by shape alone), each summed in a fixed order into its own accumulator, and the
/// accumulators are added in part order; a dot-product output is computed by one thread. The parts are claimed
/// dynamically by the caller and <see cref="KernelTeam"/>'s workers, so a thread that starts late is covered by the
/// others and never waited for. Products under <see cref="MinParallelBytes"/> of weights run on the calling thread.
/// </remarks>
internal sealed unsafe class SmallBatchGemm
{
    public const int MaxRows = 4;
    /// <summary>Enough parts for a thread that starts late or is interrupted to be covered by the others.</summary>
    private const long PartsPerThread = 4;
    private const long MinPartBytes = 32 * 1024;
    /// <summary>Below this, starting the team costs more than the second thread saves.</summary>
    private const long MinParallelBytes = 128 * 1024;

    /// <summary>
    /// The accumulators of a row-stream product's parts after the first, [parts − 1, rows, out], per calling thread
    /// (so concurrent callers never share them). Pinned, so the team's threads can use a raw pointer.
    /// </summary>
    [ThreadStatic] private static float[]? _partials;

    /// <param name="threads">threads per product, counting the caller; 1 runs everything inline</param>
    public SmallBatchGemm(int threads, SimdLevel level)
    {
        Threads = Math.Clamp(threads, 1, 32);
        Level = level;
    }

    public int Threads { get; }
    public SimdLevel Level { get; }

    /// <summary>y[m, out] = x[m, in] · W[in, out] + bias, W being <see cref="GemmArguments.Weight"/>.</summary>
    public void RowStream(in GemmArguments a)
    {
        Validate(a);
        FillWithBias(a);

        var parts = Parts(a.Inner, (long)a.Outputs * a.WeightElementSize, RowStreamKernel.RowUnroll);
        if (parts == 1)
        {
            RowStreamKernel.Accumulate(a, 0, a.Inner, a.Y, Level);
            return;
        }
        var size = a.Rows * a.Outputs;
        var partials = Partials((parts - 1) * size);
        var job = new RowStreamJob { Args = a, Level = Level, Parts = parts, Partials = partials };
        KernelTeam.Run(&RowStreamPart, &job, parts, Threads);
        for (var part = 1; part < parts; part++)
            AddInto(a.Y, partials + (long)(part - 1) * size, size);
    }

    /// <summary>y[m, out] = x[m, in] · E[out, in]ᵀ + bias, E being <see cref="GemmArguments.Weight"/>.</summary>
    public void DotProducts(in GemmArguments a)
    {
        Validate(a);
        var parts = Parts(a.Outputs, (long)a.Inner * a.WeightElementSize, unroll: 1);
        if (parts == 1)
        {
            DotProductKernel.Compute(a, 0, a.Outputs, Level);
            return;
        }
        // Threads write disjoint columns of y, so there is nothing to add up afterwards.
        var job = new DotProductJob { Args = a, Level = Level, Parts = parts };
        KernelTeam.Run(&DotProductPart, &job, parts, Threads);
    }

    /// <returns>
    /// parts to cut a product over <paramref name="rows"/> weight rows into, each at least <paramref name="unroll"/>
    /// rows; 1 means "on the calling thread". It depends on the shape only, so a product is always cut the same way.
    /// </returns>
    private int Parts(int rows, long rowBytes, int unroll) => Parts(Threads, rows, rowBytes, unroll);

    /// <summary>The same split for any product streamed by rows over <paramref name="threads"/> threads (e.g. <see cref="Q8Matrix"/>).</summary>
    internal static int Parts(int threads, int rows, long rowBytes, int unroll)
    {
        if (threads == 1 || rows * rowBytes < MinParallelBytes) return 1;
        var parts = Math.Min(PartsPerThread * threads, rows * rowBytes / MinPartBytes);
        return (int)Math.Clamp(parts, 1, rows / unroll);
    }

    /// <summary>Weight rows [start, end) of part <paramref name="part"/>; boundaries are multiples of <paramref name="unroll"/> except the last.</summary>
    internal static (int Start, int End) PartRange(int rows, int parts, int part, int unroll)
    {
        int Boundary(int p) => p == parts ? rows : (int)((long)rows * p / parts / unroll * unroll);
        return (Boundary(part), Boundary(part + 1));
    }

    private static void Validate(in GemmArguments a)
    {
        if (a.Rows is < 1 or > MaxRows) throw new ArgumentOutOfRangeException(nameof(a), $"{a.Rows} rows; 1 to {MaxRows} are supported");
        if (a.Inner < 1 || a.Outputs < 1) throw new ArgumentOutOfRangeException(nameof(a), "empty matrix");
    }

    /// <summary>Every row of y = the bias (or 0): the row-stream kernels add into y.</summary>
    private static void FillWithBias(in GemmArguments a)
    {
        var first = new Span<float>(a.Y, a.Outputs);
        if (a.Bias is null) first.Clear();
        else if (a.Format == WeightFormat.Float32) new ReadOnlySpan<float>(a.Bias, a.Outputs).CopyTo(first);
        else BFloat16Conversion.Widen((ushort*)a.Bias, a.Y, a.Outputs);
        for (var i = 1; i < a.Rows; i++)
            first.CopyTo(new Span<float>(a.Y + (long)i * a.Outputs, a.Outputs));
    }

    private static float* Partials(int length)
    {
        if (_partials is not { } buffer || buffer.Length < length)
            _partials = buffer = GC.AllocateUninitializedArray<float>(length, pinned: true);
        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
    }

    private static void AddInto(float* y, float* partial, int count)
    {
        var i = 0;
        for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
            (Vector.Load(y + i) + Vector.Load(partial + i)).Store(y + i);
        for (; i < count; i++) y[i] += partial[i];
    }

    private struct RowStreamJob
    {
        public GemmArguments Args;
        public SimdLevel Level;
        public int Parts;
        public float* Partials;
    }

    /// <summary>Runs on the caller or a worker: one part's rows of W into that part's accumulator.</summary>
    private static void RowStreamPart(void* state, int part)
    {
        var job = (RowStreamJob*)state;
        ref readonly var a = ref job->Args;
        var (k0, k1) = PartRange(a.Inner, job->Parts, part, RowStreamKernel.RowUnroll);
        var size = a.Rows * a.Outputs;
        var accumulator = part == 0 ? a.Y : job->Partials + (long)(part - 1) * size;
        if (part != 0) new Span<float>(accumulator, size).Clear();
        RowStreamKernel.Accumulate(a, k0, k1, accumulator, job->Level);
    }

    private struct DotProductJob
    {
        public GemmArguments Args;
        public SimdLevel Level;
        public int Parts;
    }

    private static void DotProductPart(void* state, int part)
    {
        var job = (DotProductJob*)state;
        var (v0, v1) = PartRange(job->Args.Outputs, job->Parts, part, unroll: 1);
        DotProductKernel.Compute(job->Args, v0, v1, job->Level);
    }
}

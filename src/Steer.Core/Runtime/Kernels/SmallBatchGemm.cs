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
/// A product is cut into chunks of weight rows, about <see cref="ChunksPerThread"/> per thread, which the threads
/// of libtorch's OpenMP team claim dynamically (<see cref="OpenMpTeam"/>). Products under
/// <see cref="MinParallelBytes"/> of weights run on the calling thread, as does everything when OpenMP is not
/// available or when another caller is using this instance's scratch buffers.
/// </remarks>
internal sealed unsafe class SmallBatchGemm
{
    public const int MaxRows = 4;
    /// <summary>Enough chunks for a thread that starts late or is interrupted to be covered by the others.</summary>
    private const long ChunksPerThread = 8;
    private const long MinChunkBytes = 32 * 1024;
    /// <summary>Below this, starting the team costs more than the second thread saves.</summary>
    private const long MinParallelBytes = 128 * 1024;

    private readonly Lock _gate = new();
    /// <summary>
    /// Per thread of a team, at least [rows, out] floats for its partial sums; index 0 adds into y directly. Pinned
    /// (on the pinned object heap), so the team can use raw pointers, and freed with this object.
    /// </summary>
    private readonly float[]?[] _scratch;

    /// <param name="threads">threads per product, counting the caller; 1 runs everything inline</param>
    public SmallBatchGemm(int threads, SimdLevel level)
    {
        Threads = OpenMpTeam.IsAvailable ? Math.Clamp(threads, 1, 32) : 1;
        Level = level;
        _scratch = new float[Threads][];
    }

    public int Threads { get; }
    public SimdLevel Level { get; }

    /// <summary>y[m, out] = x[m, in] · W[in, out] + bias, W being <see cref="GemmArguments.Weight"/>.</summary>
    public void RowStream(in GemmArguments a)
    {
        Validate(a);
        for (var i = 0; i < a.Rows; i++)
            for (var c = 0; c < a.Outputs; c++)
                a.Y[(long)i * a.Outputs + c] = a.BiasAt(c);

        var rowsPerChunk = RowsPerChunk(a.Inner, (long)a.Outputs * a.WeightElementSize, RowStreamKernel.RowUnroll);
        if (rowsPerChunk >= a.Inner || !_gate.TryEnter())
        {
            RowStreamKernel.Accumulate(a, 0, a.Inner, a.Y, Level);
            return;
        }
        try
        {
            var scratch = stackalloc float*[Threads];
            for (var thread = 1; thread < Threads; thread++)
                scratch[thread] = Scratch(thread, a.Rows * a.Outputs);
            var job = new RowStreamJob { Args = a, Level = Level, RowsPerChunk = rowsPerChunk, Scratch = scratch };
            var chunks = (a.Inner + rowsPerChunk - 1) / rowsPerChunk;
            var participants = OpenMpTeam.Run(&RowStreamChunk, &job, chunks, Threads);
            for (var thread = 1; thread < Threads; thread++)
                if ((participants & (1 << thread)) != 0)
                    AddInto(a.Y, scratch[thread], a.Rows * a.Outputs);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>y[m, out] = x[m, in] · E[out, in]ᵀ + bias, E being <see cref="GemmArguments.Weight"/>.</summary>
    public void DotProducts(in GemmArguments a)
    {
        Validate(a);
        var rowsPerChunk = RowsPerChunk(a.Outputs, (long)a.Inner * a.WeightElementSize, unroll: 1);
        if (rowsPerChunk >= a.Outputs)
        {
            DotProductKernel.Compute(a, 0, a.Outputs, Level);
            return;
        }
        // Threads write disjoint columns of y: no scratch, so no need for the gate.
        var job = new DotProductJob { Args = a, Level = Level, RowsPerChunk = rowsPerChunk };
        OpenMpTeam.Run(&DotProductChunk, &job, (a.Outputs + rowsPerChunk - 1) / rowsPerChunk, Threads);
    }

    /// <returns>rows of the weight matrix per chunk, a multiple of <paramref name="unroll"/>; ≥ <paramref name="rows"/> means "do not split"</returns>
    private int RowsPerChunk(int rows, long rowBytes, int unroll)
    {
        if (Threads == 1 || rows * rowBytes < MinParallelBytes) return rows;
        var chunkBytes = Math.Max(MinChunkBytes, rows * rowBytes / (ChunksPerThread * Threads));
        return Math.Max(unroll, (int)(chunkBytes / rowBytes) / unroll * unroll);
    }

    private static void Validate(in GemmArguments a)
    {
        if (a.Rows is < 1 or > MaxRows) throw new ArgumentOutOfRangeException(nameof(a), $"{a.Rows} rows; 1 to {MaxRows} are supported");
        if (a.Inner < 1 || a.Outputs < 1) throw new ArgumentOutOfRangeException(nameof(a), "empty matrix");
    }

    private float* Scratch(int thread, int length)
    {
        if (_scratch[thread] is not { } buffer || buffer.Length < length)
            _scratch[thread] = buffer = GC.AllocateUninitializedArray<float>(length, pinned: true);
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
        public int RowsPerChunk;
        public float** Scratch;
    }

    /// <summary>Runs on a thread of the OpenMP team: rows of W into this thread's accumulator.</summary>
    private static void RowStreamChunk(void* state, int chunk, int thread, bool first)
    {
        var job = (RowStreamJob*)state;
        ref readonly var a = ref job->Args;
        var k0 = chunk * job->RowsPerChunk;
        var k1 = Math.Min(a.Inner, k0 + job->RowsPerChunk);
        var accumulator = thread == 0 ? a.Y : job->Scratch[thread];
        if (thread != 0 && first) new Span<float>(accumulator, a.Rows * a.Outputs).Clear();
        RowStreamKernel.Accumulate(a, k0, k1, accumulator, job->Level);
    }

    private struct DotProductJob
    {
        public GemmArguments Args;
        public SimdLevel Level;
        public int RowsPerChunk;
    }

    private static void DotProductChunk(void* state, int chunk, int thread, bool first)
    {
        var job = (DotProductJob*)state;
        var v0 = chunk * job->RowsPerChunk;
        DotProductKernel.Compute(job->Args, v0, Math.Min(job->Args.Outputs, v0 + job->RowsPerChunk), job->Level);
    }
}

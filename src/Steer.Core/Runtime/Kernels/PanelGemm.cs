using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Steer.Runtime.Kernels;

/// <summary>
/// y[m, n] = x[m, k] · W[k, n] + bias[n] in float32 for a prompt pass's many rows, W stored [in, out] (GPT-2's Conv1D).
/// y is cut into panels of <see cref="PanelColumns"/> columns that the threads claim; a panel is computed a tile of
/// <see cref="TileRows"/> rows of x at a time, its 16 accumulators kept in registers across the whole of k.
/// </summary>
/// <remarks>
/// Why not libtorch's GEMM: on AMD CPUs libtorch's MKL takes its AVX2 "zen" kernels, which on an AVX-512 EPYC ran
/// the gpt2 shape's 64-row products at 102–134 GFLOP/s against 154–172 for OpenBLAS (PyTorch eager's BLAS on Debian)
/// on the same 2 cores, and this kernel at 245–341 (medians over the four shapes, interleaved with MKL's 92–106). Each
/// output is one thread's sum over k in order, starting from the bias, so results are
/// bit-identical from call to call whichever thread takes which panel.
/// </remarks>
internal static unsafe class PanelGemm
{
    public const int TileRows = 8;
    public const int PanelColumns = 32;
    /// <summary>How many rows of W ahead the first tile of a panel asks for (it brings the panel in from memory).</summary>
    private const int PrefetchRows = 16;

    /// <summary>y = x · W + bias, every pointer valid for its whole matrix; the team's threads take the panels.</summary>
    public static void Multiply(float* x, int rows, int inner, float* weight, float* bias, int outputs, float* y, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inner, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        var job = new Job { X = x, Rows = rows, Inner = inner, Weight = weight, Bias = bias, Outputs = outputs, Y = y };
        var panels = (outputs + PanelColumns - 1) / PanelColumns;
        KernelTeam.Run(&RunPanel, &job, panels, threads);
    }

    private struct Job
    {
        public float* X, Weight, Bias, Y;
        public int Rows, Inner, Outputs;
    }

    private static void RunPanel(void* state, int panel)
    {
        var job = (Job*)state;
        var j0 = panel * PanelColumns;
        var columns = Math.Min(PanelColumns, job->Outputs - j0);
        for (var i0 = 0; i0 < job->Rows; i0 += TileRows)
        {
            var rows = Math.Min(TileRows, job->Rows - i0);
            if (columns == PanelColumns)
                Tile(job->X + (long)i0 * job->Inner, rows, job->Inner, job->Weight + j0, job->Bias + j0, job->Outputs,
                    job->Y + (long)i0 * job->Outputs + j0, prefetch: i0 == 0);
            else
                NarrowTile(job->X + (long)i0 * job->Inner, rows, job->Inner, job->Weight + j0, job->Bias + j0, job->Outputs,
                    job->Y + (long)i0 * job->Outputs + j0, columns);
        }
    }

    /// <summary>
    /// y[r, 0..32) = bias + Σ_k x[r, k]·W[k, 0..32) for the tile's rows r &lt; <paramref name="rows"/>; x and y have row
    /// strides <paramref name="inner"/> and <paramref name="n"/>, W [inner, n]. A short tile computes its missing rows
    /// from row 0 and drops them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* x, int rows, int inner, float* w, float* bias, int n, float* y, bool prefetch)
    {
        float* x0 = x, x1 = Row(x, 1, rows, inner), x2 = Row(x, 2, rows, inner), x3 = Row(x, 3, rows, inner);
        float* x4 = Row(x, 4, rows, inner), x5 = Row(x, 5, rows, inner), x6 = Row(x, 6, rows, inner), x7 = Row(x, 7, rows, inner);
        var b0 = Vector512.Load(bias);
        var b1 = Vector512.Load(bias + 16);
        Vector512<float> c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
        Vector512<float> c40 = b0, c41 = b1, c50 = b0, c51 = b1, c60 = b0, c61 = b1, c70 = b0, c71 = b1;
        var ahead = (long)PrefetchRows * n;
        for (var k = 0; k < inner; k++)
        {
            var wk = w + (long)k * n; // W[k, 0..32)
            if (prefetch)
            {
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(wk + ahead);
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(wk + ahead + 16);
            }
            var w0 = Vector512.Load(wk);
            var w1 = Vector512.Load(wk + 16);
            var a = Vector512.Create(x0[k]);
            c00 = Vector512.FusedMultiplyAdd(a, w0, c00);
            c01 = Vector512.FusedMultiplyAdd(a, w1, c01);
            a = Vector512.Create(x1[k]);
            c10 = Vector512.FusedMultiplyAdd(a, w0, c10);
            c11 = Vector512.FusedMultiplyAdd(a, w1, c11);
            a = Vector512.Create(x2[k]);
            c20 = Vector512.FusedMultiplyAdd(a, w0, c20);
            c21 = Vector512.FusedMultiplyAdd(a, w1, c21);
            a = Vector512.Create(x3[k]);
            c30 = Vector512.FusedMultiplyAdd(a, w0, c30);
            c31 = Vector512.FusedMultiplyAdd(a, w1, c31);
            a = Vector512.Create(x4[k]);
            c40 = Vector512.FusedMultiplyAdd(a, w0, c40);
            c41 = Vector512.FusedMultiplyAdd(a, w1, c41);
            a = Vector512.Create(x5[k]);
            c50 = Vector512.FusedMultiplyAdd(a, w0, c50);
            c51 = Vector512.FusedMultiplyAdd(a, w1, c51);
            a = Vector512.Create(x6[k]);
            c60 = Vector512.FusedMultiplyAdd(a, w0, c60);
            c61 = Vector512.FusedMultiplyAdd(a, w1, c61);
            a = Vector512.Create(x7[k]);
            c70 = Vector512.FusedMultiplyAdd(a, w0, c70);
            c71 = Vector512.FusedMultiplyAdd(a, w1, c71);
        }
        Store(y, c00, c01);
        if (rows > 1) Store(y + n, c10, c11);
        if (rows > 2) Store(y + 2L * n, c20, c21);
        if (rows > 3) Store(y + 3L * n, c30, c31);
        if (rows > 4) Store(y + 4L * n, c40, c41);
        if (rows > 5) Store(y + 5L * n, c50, c51);
        if (rows > 6) Store(y + 6L * n, c60, c61);
        if (rows > 7) Store(y + 7L * n, c70, c71);
    }

    private static float* Row(float* x, int row, int rows, int inner) => row < rows ? x + (long)row * inner : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, Vector512<float> first, Vector512<float> second)
    {
        first.Store(y);
        second.Store(y + 16);
    }

    /// <summary>The last panel when n is not a multiple of <see cref="PanelColumns"/>: the same sums, one column at a time.</summary>
    private static void NarrowTile(float* x, int rows, int inner, float* w, float* bias, int n, float* y, int columns)
    {
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++)
            {
                var sum = bias[c];
                for (var k = 0; k < inner; k++) sum = MathF.FusedMultiplyAdd(x[(long)r * inner + k], w[(long)k * n + c], sum);
                y[(long)r * n + c] = sum;
            }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Steer.Runtime.Kernels;

/// <summary>
/// y[m, n] = x[m, k] · W[k, n] + bias[n] in float32 for a prompt pass's many rows. For W stored [in, out] (GPT-2's
/// Conv1D), y is cut into panels of <see cref="PanelColumns"/> columns that the threads claim; a panel is computed a
/// tile of <see cref="TileRows"/> rows of x at a time, its 16 accumulators kept in registers across the whole of k.
/// For W stored [out, in] (<see cref="MultiplyTransposed"/>, nn.Linear's layout), tiles of 4 rows × 4 outputs sum
/// products along k in vectors and add the lanes up at the end.
/// </summary>
/// <remarks>
/// Why not libtorch's GEMM: on AMD CPUs libtorch's MKL takes its AVX2 "zen" kernels, which on an AVX-512 EPYC ran
/// the gpt2 shape's 64-row products at 102–134 GFLOP/s against 154–172 for OpenBLAS (PyTorch eager's BLAS on Debian)
/// on the same 2 cores, and this kernel at 245–341 (medians over the four shapes, interleaved with MKL's 92–106).
/// Each output is one thread's sum over k in a fixed order, starting from the bias (input-major) or ending with it
/// (output-major), so results are bit-identical from call to call whichever thread takes which panel.
/// </remarks>
internal static unsafe class PanelGemm
{
    public const int TileRows = 8;
    public const int PanelColumns = 32;
    /// <summary>How many rows of W ahead the first tile of a panel asks for (it brings the panel in from memory).</summary>
    private const int PrefetchRows = 16;
    /// <summary>Outputs per claimed block of <see cref="MultiplyTransposed"/>: four tiles' worth.</summary>
    private const int DotBlockOutputs = 16;

    /// <summary>y = x · W + bias (bias may be null), every pointer valid for its whole matrix; the team's threads take the panels.</summary>
    public static void Multiply(float* x, int rows, int inner, float* weight, float* bias, int outputs, float* y, int threads) =>
        Run(&RunPanel, PanelColumns, x, rows, inner, weight, bias, outputs, y, threads);

    /// <summary>y = x · Eᵀ + bias (bias may be null) for E [outputs, inner]; the team's threads take blocks of outputs.</summary>
    public static void MultiplyTransposed(float* x, int rows, int inner, float* e, float* bias, int outputs, float* y, int threads) =>
        Run(&RunDotBlock, DotBlockOutputs, x, rows, inner, e, bias, outputs, y, threads);

    /// <summary>Runs <paramref name="body"/> once per block of <paramref name="blockOutputs"/> outputs on the kernel team.</summary>
    private static void Run(delegate*<void*, int, void> body, int blockOutputs, float* x, int rows, int inner, float* weight, float* bias,
        int outputs, float* y, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inner, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        var job = new Job { X = x, Rows = rows, Inner = inner, Weight = weight, Bias = bias, Outputs = outputs, Y = y };
        KernelTeam.Run(body, &job, (outputs + blockOutputs - 1) / blockOutputs, threads);
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
                Tile(job->X + (long)i0 * job->Inner, rows, job->Inner, job->Weight + j0, Offset(job->Bias, j0), job->Outputs,
                    job->Y + (long)i0 * job->Outputs + j0, prefetch: i0 == 0);
            else
                NarrowTile(job->X + (long)i0 * job->Inner, rows, job->Inner, job->Weight + j0, Offset(job->Bias, j0), job->Outputs,
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
        var b0 = bias is null ? default : Vector512.Load(bias);
        var b1 = bias is null ? default : Vector512.Load(bias + 16);
        Vector512<float> c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
        Vector512<float> c40 = b0, c41 = b1, c50 = b0, c51 = b1, c60 = b0, c61 = b1, c70 = b0, c71 = b1;
        var ahead = (long)PrefetchRows * n;
        for (var k = 0; k < inner; k++)
        {
            var wk = w + (long)k * n; // W[k, 0..32)
            if (prefetch && Sse.IsSupported)
            {
                Sse.Prefetch0(wk + ahead);
                Sse.Prefetch0(wk + ahead + 16);
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

    private static float* Offset(float* bias, int column) => bias is null ? null : bias + column;

    private static float* Row(float* x, int row, int rows, int inner) => row < rows ? x + (long)row * inner : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, Vector512<float> first, Vector512<float> second)
    {
        first.Store(y);
        second.Store(y + 16);
    }

    private static void RunDotBlock(void* state, int block)
    {
        var job = (Job*)state;
        var end = Math.Min(job->Outputs, (block + 1) * DotBlockOutputs);
        for (var j0 = block * DotBlockOutputs; j0 < end; j0 += 4)
            for (var i0 = 0; i0 < job->Rows; i0 += 4)
                DotTile(job->X + (long)i0 * job->Inner, Math.Min(4, job->Rows - i0), job->Inner, job->Weight + (long)j0 * job->Inner,
                    Math.Min(4, end - j0), Offset(job->Bias, j0), job->Outputs, job->Y + (long)i0 * job->Outputs + j0);
    }

    /// <summary>
    /// y[r, j] = bias[j] + Σ_k x[r, k]·e[j, k] for r &lt; <paramref name="rows"/>, j &lt; <paramref name="outputs"/> (at most 4
    /// each): 16 vector sums along k, then each one's lanes and the last k % 16 products in order. A short tile
    /// computes its missing rows and outputs from the first ones and drops them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotTile(float* x, int rows, int inner, float* e, int outputs, float* bias, int n, float* y)
    {
        float* x0 = x, x1 = Row(x, 1, rows, inner), x2 = Row(x, 2, rows, inner), x3 = Row(x, 3, rows, inner);
        float* e0 = e, e1 = Row(e, 1, outputs, inner), e2 = Row(e, 2, outputs, inner), e3 = Row(e, 3, outputs, inner);
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default, s30 = default, s31 = default, s32 = default, s33 = default;
        var k = 0;
        for (; k <= inner - 16; k += 16)
        {
            var w0 = Vector512.Load(e0 + k);
            var w1 = Vector512.Load(e1 + k);
            var w2 = Vector512.Load(e2 + k);
            var w3 = Vector512.Load(e3 + k);
            var a = Vector512.Load(x0 + k);
            s00 = Vector512.FusedMultiplyAdd(a, w0, s00);
            s01 = Vector512.FusedMultiplyAdd(a, w1, s01);
            s02 = Vector512.FusedMultiplyAdd(a, w2, s02);
            s03 = Vector512.FusedMultiplyAdd(a, w3, s03);
            a = Vector512.Load(x1 + k);
            s10 = Vector512.FusedMultiplyAdd(a, w0, s10);
            s11 = Vector512.FusedMultiplyAdd(a, w1, s11);
            s12 = Vector512.FusedMultiplyAdd(a, w2, s12);
            s13 = Vector512.FusedMultiplyAdd(a, w3, s13);
            a = Vector512.Load(x2 + k);
            s20 = Vector512.FusedMultiplyAdd(a, w0, s20);
            s21 = Vector512.FusedMultiplyAdd(a, w1, s21);
            s22 = Vector512.FusedMultiplyAdd(a, w2, s22);
            s23 = Vector512.FusedMultiplyAdd(a, w3, s23);
            a = Vector512.Load(x3 + k);
            s30 = Vector512.FusedMultiplyAdd(a, w0, s30);
            s31 = Vector512.FusedMultiplyAdd(a, w1, s31);
            s32 = Vector512.FusedMultiplyAdd(a, w2, s32);
            s33 = Vector512.FusedMultiplyAdd(a, w3, s33);
        }
        FinishRow(y, x0, e0, e1, e2, e3, s00, s01, s02, s03, k, inner, outputs, bias);
        if (rows > 1) FinishRow(y + n, x1, e0, e1, e2, e3, s10, s11, s12, s13, k, inner, outputs, bias);
        if (rows > 2) FinishRow(y + 2L * n, x2, e0, e1, e2, e3, s20, s21, s22, s23, k, inner, outputs, bias);
        if (rows > 3) FinishRow(y + 3L * n, x3, e0, e1, e2, e3, s30, s31, s32, s33, k, inner, outputs, bias);
    }

    private static void FinishRow(float* y, float* x, float* e0, float* e1, float* e2, float* e3,
        Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3, int k, int inner, int outputs, float* bias)
    {
        y[0] = Finish(x, e0, s0, k, inner, bias, 0);
        if (outputs > 1) y[1] = Finish(x, e1, s1, k, inner, bias, 1);
        if (outputs > 2) y[2] = Finish(x, e2, s2, k, inner, bias, 2);
        if (outputs > 3) y[3] = Finish(x, e3, s3, k, inner, bias, 3);
    }

    /// <summary>The lanes of <paramref name="sum"/>, then x[k..]·e[k..] in order, then the bias.</summary>
    private static float Finish(float* x, float* e, Vector512<float> sum, int k, int inner, float* bias, int output)
    {
        var total = Vector512.Sum(sum);
        for (; k < inner; k++) total = MathF.FusedMultiplyAdd(x[k], e[k], total);
        return bias is null ? total : total + bias[output];
    }

    /// <summary>The last panel when n is not a multiple of <see cref="PanelColumns"/>: the same sums, one column at a time.</summary>
    private static void NarrowTile(float* x, int rows, int inner, float* w, float* bias, int n, float* y, int columns)
    {
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++)
            {
                var sum = bias is null ? 0f : bias[c];
                for (var k = 0; k < inner; k++) sum = MathF.FusedMultiplyAdd(x[(long)r * inner + k], w[(long)k * n + c], sum);
                y[(long)r * n + c] = sum;
            }
    }
}

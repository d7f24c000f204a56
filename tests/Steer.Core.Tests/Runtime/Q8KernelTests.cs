using Steer.Runtime.Kernels;
using static TorchSharp.torch;

namespace Steer.Tests.Runtime;

/// <summary>
/// The int8 (Q8_0) path: block quantization against its definition, each instruction set's dot products against
/// an exact integer reference, and whole products against float64 products of the dequantized values.
/// </summary>
/// <remarks>
/// Tolerances: a block's integer products are exact on every path (the vector paths keep eight exact partial sums
/// of one sign pattern per block), so the paths differ only in float32 rounding: each scaled term is rounded once
/// and added in a chain of at most n blocks plus an 8-lane reduction, so each element is within
/// (n + 8)·2⁻²⁴·Σ|terms| of the float64 sum. A wrong index, a lost sign or a dropped correction is off by a whole block's term.
/// </remarks>
public sealed unsafe class Q8KernelTests
{
    public static TheoryData<string> Levels()
    {
        var data = new TheoryData<string>();
        foreach (var level in Enum.GetValues<Q8Level>().Where(Q8Levels.IsSupported)) data.Add(level.ToString());
        return data;
    }

    [Fact]
    public void This_x64_test_machine_exercises_a_vector_path()
    {
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64) return;
        Q8Levels.Best.ShouldNotBe(Q8Level.Scalar, "AVX2 is expected on any x64 machine that runs these tests");
    }

    [Fact]
    public void A_block_is_scaled_by_its_largest_magnitude_and_rounded_half_away_from_zero()
    {
        var x = new float[32];
        x[0] = -2.54f;                   // max |x| → scale 0.02, quantized to −127
        x[1] = 0.01f;                    // exactly half a step: rounds away from zero to 1
        x[2] = -0.01f;                   // to −1
        x[3] = 0.0299f;                  // 1.495 steps → 1
        x[4] = 1.27f;                    // 63.5 steps → 64
        var q = new sbyte[32];
        var d = new float[1];
        fixed (float* px = x) fixed (sbyte* pq = q) fixed (float* pd = d) Q8Blocks.Quantize(px, 32, pq, pd);
        d[0].ShouldBe(2.54f / 127f);
        q[..5].ShouldBe(new sbyte[] { -127, 1, -1, 1, 64 });
        q[5..].ShouldAllBe(v => v == 0);
    }

    [Fact]
    public void An_all_zero_block_has_scale_zero_and_dequantizes_to_zero()
    {
        var x = new float[64];
        x[40] = 3f;
        var q = new sbyte[64];
        var d = new float[2];
        var back = new float[64];
        fixed (float* px = x) fixed (sbyte* pq = q) fixed (float* pd = d) fixed (float* pb = back)
        {
            Q8Blocks.Quantize(px, 64, pq, pd);
            Q8Blocks.Dequantize(pq, pd, 64, pb);
        }
        d.ShouldBe([0f, 3f / 127f]);
        q[..32].ShouldAllBe(v => v == 0);
        back.ShouldBe(x);
    }

    [Fact]
    public void The_vector_quantizer_equals_the_scalar_definition_including_exact_halves()
    {
        var random = new Random(19);
        // Random values, exact multiples of half a step (ties), zeros and a block of one value.
        var x = Enumerable.Range(0, 32 * 200).Select(i =>
            i < 32 ? 0f
            : i < 64 ? 1.5f
            : i % 7 == 0 ? (i % 255 - 127) * 0.5f
            : (float)(random.NextDouble() * 2 - 1) * (i % 3 + 1)).ToArray();
        for (var b = 2; b < 200; b += 5) x[b * 32 + 3] = 127f * (b % 2 == 0 ? 1 : -1);   // scale exactly 1: ties at .5
        for (var b = 2; b < 200; b += 5) x[b * 32 + 4] = 2.5f * (b % 4 < 2 ? 1 : -1);
        var (vectorQ, vectorD) = (new sbyte[x.Length], new float[x.Length / 32]);
        var (scalarQ, scalarD) = (new sbyte[x.Length], new float[x.Length / 32]);
        fixed (float* px = x) fixed (sbyte* vq = vectorQ) fixed (float* vd = vectorD) fixed (sbyte* sq = scalarQ) fixed (float* sd = scalarD)
        {
            Q8Blocks.Quantize(px, x.Length, vq, vd);
            Q8Blocks.QuantizeScalar(px, x.Length, sq, sd);
        }
        vectorD.ShouldBe(scalarD);
        vectorQ.ShouldBe(scalarQ);
        scalarQ[2 * 32 + 4].ShouldBe((sbyte)-3, "-2.5 rounds away from zero");
        scalarQ[12 * 32 + 4].ShouldBe((sbyte)3, "2.5 rounds away from zero");
    }

    [Fact]
    public void Quantizing_loses_at_most_half_a_step_per_value()
    {
        var random = new Random(7);
        var x = Enumerable.Range(0, 32 * 50).Select(_ => (float)(random.NextDouble() * 8 - 4) * (random.Next(3) == 0 ? 100 : 1)).ToArray();
        var q = new sbyte[x.Length];
        var d = new float[x.Length / 32];
        var back = new float[x.Length];
        fixed (float* px = x) fixed (sbyte* pq = q) fixed (float* pd = d) fixed (float* pb = back)
        {
            Q8Blocks.Quantize(px, x.Length, pq, pd);
            Q8Blocks.Dequantize(pq, pd, x.Length, pb);
        }
        for (var i = 0; i < x.Length; i++)
            Math.Abs(back[i] - x[i]).ShouldBeLessThanOrEqualTo(d[i / 32] * 0.5f * 1.0001f, $"value {i}");
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void Each_instruction_set_matches_the_exact_block_sums(string levelName)
    {
        var level = Enum.Parse<Q8Level>(levelName);
        // [out, inner] and [rows, inner]: extreme bytes (±127) exercise the sign handling; odd block counts
        // exercise the tail after the two-block unroll.
        foreach (var (rows, inner, outputs) in new[] { (1, 32, 1), (3, 96, 7), (4, 800, 33), (65, 64, 5) })
        {
            using var scope = NewDisposeScope();
            var random = new Random(inner + outputs);
            var x = RandomMatrix(random, rows, inner, extremes: true);
            var w = RandomMatrix(random, outputs, inner, extremes: true);
            var bias = Enumerable.Range(0, outputs).Select(i => i * 0.25f - 1).ToArray();
            using var matrix = Q8Matrix.From(tensor(w, [outputs, inner]));
            var y = matrix.Multiply(tensor(x, [rows, inner]), tensor(bias), level).data<float>().ToArray();

            var (expected, bound) = ExactProduct(x, rows, w, outputs, inner, bias);
            for (var i = 0; i < y.Length; i++)
                Math.Abs(y[i] - expected[i]).ShouldBeLessThanOrEqualTo(bound[i] * (inner / 32 + 8) * Math.Pow(2, -24) + 1e-30,
                    $"{level}, {rows}×{inner}×{outputs}, element {i}");
        }
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void A_row_gives_the_same_bits_alone_and_with_other_rows(string levelName)
    {
        // Rows go through the vector kernels in pairs sharing each weight load, a last odd row alone: batch composition
        // must not change a sequence's numbers. 11 blocks a row: the pairs' one-block tail too.
        var level = Enum.Parse<Q8Level>(levelName);
        using var scope = NewDisposeScope();
        var random = new Random(5);
        var x = tensor(RandomMatrix(random, 4, 352, extremes: false), [4, 352]);
        using var matrix = Q8Matrix.From(tensor(RandomMatrix(random, 37, 352, extremes: false), [37, 352]));

        var all = matrix.Multiply(x, null, level);
        var three = matrix.Multiply(x[..3].contiguous(), null, level);
        var alone = matrix.Multiply(x[2..3].contiguous(), null, level);

        alone.ShouldBeBitIdenticalTo(all[2..3]);
        alone.ShouldBeBitIdenticalTo(three[2..3]);
        three.ShouldBeBitIdenticalTo(all[..3]);
    }

    [Fact]
    public void A_transposed_view_is_quantized_as_its_contiguous_copy()
    {
        using var scope = NewDisposeScope();
        var random = new Random(3);
        var w = RandomMatrix(random, 64, 10, extremes: false);          // [in, out], GPT-2's layout
        var inputMajor = tensor(w, [64, 10]);
        using var fromInputMajor = Q8Matrix.From(inputMajor.t());                 // a transposed view
        using var fromOutputMajor = Q8Matrix.From(inputMajor.t().contiguous());
        fromInputMajor.Dequantize().eq(fromOutputMajor.Dequantize()).all().item<bool>().ShouldBeTrue();
        var x = tensor(RandomMatrix(random, 2, 64, extremes: false), [2, 64]);
        fromInputMajor.Multiply(x, null).eq(fromOutputMajor.Multiply(x, null)).all().item<bool>().ShouldBeTrue();
    }

    [Fact]
    public void Products_are_close_to_float_products_and_identical_from_call_to_call()
    {
        using var scope = NewDisposeScope();
        var random = new Random(11);
        var w = tensor(RandomMatrix(random, 3072, 768, extremes: false), [3072, 768]);
        var x = tensor(RandomMatrix(random, 2, 768, extremes: false), [2, 768]);
        using var matrix = Q8Matrix.From(w);
        var first = matrix.Multiply(x, null);
        for (var call = 0; call < 5; call++) matrix.Multiply(x, null).eq(first).all().item<bool>().ShouldBeTrue("bit-identical on every call");

        // Against the float product: 8-bit blocks of uniform values keep the relative error of a 768-term product
        // around 1% of the output's scale.
        var exact = x.matmul(w.t());
        var error = (first - exact).abs().max().item<float>();
        var scale = exact.abs().mean().item<float>();
        error.ShouldBeLessThan(0.05f * scale);
    }

    [Fact]
    public void Bad_shapes_are_refused()
    {
        using var scope = NewDisposeScope();
        Q8Matrix.CanQuantize(zeros(10, 33)).ShouldBeFalse();
        Q8Matrix.CanQuantize(zeros(32)).ShouldBeFalse();
        Should.Throw<ArgumentException>(() => Q8Matrix.From(zeros(10, 33)));
        using var matrix = Q8Matrix.From(zeros(4, 32));
        Should.Throw<ArgumentException>(() => matrix.Multiply(zeros(1, 64), null));
        Should.Throw<ArgumentException>(() => matrix.Multiply(zeros(1, 32, ScalarType.BFloat16), null));
        Should.Throw<ArgumentException>(() => matrix.Multiply(zeros(1, 32), zeros(3)));
    }

    private static float[] RandomMatrix(Random random, int rows, int columns, bool extremes) =>
        Enumerable.Range(0, rows * columns).Select(i =>
            extremes && i % 32 == 5 ? 1f                       // the block's maximum is often another value
            : extremes && i % 97 == 0 ? -3f                    // a negative maximum: quantized to −127
            : (float)(random.NextDouble() * 2 - 1)).ToArray();

    /// <summary>
    /// The exact product of the quantized values, in float64, and per element Σ_b |d_w·d_x|·Σ|w·x| for the bound
    /// (the vector paths round partial sums of a block, each no larger than that).
    /// </summary>
    private static (double[] Values, double[] Bound) ExactProduct(float[] x, int rows, float[] w, int outputs, int inner, float[] bias)
    {
        var blocks = inner / 32;
        var (xq, xd) = QuantizeSigned(x, rows, inner);
        var (wq, wd) = QuantizeSigned(w, outputs, inner);
        var values = new double[rows * outputs];
        var bound = new double[rows * outputs];
        for (var r = 0; r < rows; r++)
            for (var v = 0; v < outputs; v++)
            {
                double sum = bias[v], magnitude = Math.Abs(bias[v]);
                for (var b = 0; b < blocks; b++)
                {
                    long dot = 0, absolute = 0;
                    for (var i = b * 32; i < b * 32 + 32; i++)
                    {
                        dot += (long)xq[r * inner + i] * wq[v * inner + i];
                        absolute += Math.Abs((long)xq[r * inner + i] * wq[v * inner + i]);
                    }
                    var scale = (double)(xd[r * blocks + b] * wd[v * blocks + b]);
                    sum += scale * dot;
                    magnitude += Math.Abs(scale) * absolute;
                }
                values[r * outputs + v] = sum;
                bound[r * outputs + v] = magnitude;
            }
        return (values, bound);
    }

    private static (sbyte[] Quants, float[] Scales) QuantizeSigned(float[] values, int rows, int inner)
    {
        var quants = new sbyte[values.Length];
        var scales = new float[values.Length / 32];
        fixed (float* p = values) fixed (sbyte* q = quants) fixed (float* d = scales) Q8Blocks.Quantize(p, values.Length, q, d);
        return (quants, scales);
    }
}

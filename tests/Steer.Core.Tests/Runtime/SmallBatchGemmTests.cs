using Steer.Runtime.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Tests.Runtime;

/// <summary>
/// The small-batch SIMD kernels against a float64 torch reference, on every instruction set this CPU has (forced
/// through <see cref="SmallBatchGemm"/>'s level), float32 and bfloat16 weights, 1–4 rows, with and without bias,
/// inline and split across threads, on sizes that are not multiples of any vector width.
/// </summary>
/// <remarks>
/// Tolerance: a float32 sum of n products, however it is ordered, is within γ(n) = n·2⁻²⁴/(1 − n·2⁻²⁴) of the exact
/// sum relative to Σ|x_k·w_k| (Higham, Accuracy and Stability of Numerical Algorithms, §3.1). The kernel adds
/// n products and a bias, so each element must be within (n + 2)·2⁻²⁴ · (|x|·|W| + |b|) of the float64 result of
/// the same (bfloat16-rounded) weights. A wrong index or a dropped row is off by the size of a whole term,
/// orders of magnitude more.
/// </remarks>
public sealed unsafe class SmallBatchGemmTests
{
    /// <summary>(in, out): odd sizes for every tail; 1×1; one vector exactly; and big enough to be split into chunks.</summary>
    private static readonly (int In, int Out)[] Shapes = [(37, 101), (1, 1), (16, 16), (3, 5), (257, 301), (64, 2053)];

    /// <summary>(SimdLevel, WeightFormat, threads), the enums by name because they are internal.</summary>
    public static TheoryData<string, string, int> Configurations()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var level in Enum.GetValues<SimdLevel>().Where(SimdLevels.IsSupported))
            foreach (var format in Enum.GetValues<WeightFormat>())
                foreach (var threads in new[] { 1, 2 })
                    data.Add(level.ToString(), format.ToString(), threads);
        return data;
    }

    [Fact]
    public void This_x64_test_machine_exercises_a_vector_path()
    {
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64) return;
        SimdLevels.Best.ShouldNotBe(SimdLevel.Scalar, "AVX2 is expected on any x64 machine that runs these tests");
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Row_stream_product_matches_float64_for_every_shape_row_count_and_bias(string levelName, string formatName, int threads) =>
        MatchesFloat64ForEveryShapeRowCountAndBias(Enum.Parse<SimdLevel>(levelName), Enum.Parse<WeightFormat>(formatName), threads, dotProducts: false);

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Dot_product_form_matches_float64_for_every_shape_row_count_and_bias(string levelName, string formatName, int threads) =>
        MatchesFloat64ForEveryShapeRowCountAndBias(Enum.Parse<SimdLevel>(levelName), Enum.Parse<WeightFormat>(formatName), threads, dotProducts: true);

    private static void MatchesFloat64ForEveryShapeRowCountAndBias(SimdLevel level, WeightFormat format, int threads, bool dotProducts)
    {
        var gemm = new SmallBatchGemm(threads, level);
        foreach (var (inner, outputs) in Shapes)
            for (var rows = 1; rows <= SmallBatchGemm.MaxRows; rows++)
                foreach (var withBias in new[] { true, false })
                {
                    using var scope = NewDisposeScope();
                    var seed = inner * 7919 + outputs * 31 + rows * 3 + (withBias ? 1 : 0);
                    var x = Random([rows, inner], seed);
                    // W [in, out] for the row stream, E [out, in] for dot products: the same product x·W either way.
                    var stored = Random(dotProducts ? [outputs, inner] : [inner, outputs], seed + 1, format);
                    var bias = withBias ? Random([outputs], seed + 2, format) : null;
                    var y = full([rows, outputs], float.NaN); // every element must be written

                    Run(gemm, x, stored, bias, y, dotProducts);

                    var x64 = x.to(ScalarType.Float64);
                    var w64 = dotProducts ? stored.to(ScalarType.Float64).t() : stored.to(ScalarType.Float64); // [in, out]
                    var b64 = bias?.to(ScalarType.Float64) ?? zeros(outputs, ScalarType.Float64);
                    ShouldMatch(y, x64.matmul(w64) + b64, x64.abs().matmul(w64.abs()) + b64.abs(), inner,
                        $"{level} {format} threads {threads}, x [{rows}, {inner}] · [{string.Join(", ", stored.shape)}]{(dotProducts ? "ᵀ" : "")}, bias {withBias}");
                }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Repeated_parallel_products_are_bit_identical_whichever_thread_runs_which_part(bool dotProducts)
    {
        // The threads claim parts in a different order each call. A steering vector's BOS row is the difference of
        // two such products of the same input, and must be exactly zero.
        var gemm = new SmallBatchGemm(2, SimdLevels.Best);
        using var scope = NewDisposeScope();
        var x = Random([2, 300], 1);
        var weight = Random(dotProducts ? [5003, 300] : [300, 5003], 2, WeightFormat.BFloat16);
        var bias = Random([5003], 3, WeightFormat.BFloat16);
        var first = empty(2, 5003);
        Run(gemm, x, weight, bias, first, dotProducts);
        for (var i = 0; i < 50; i++)
        {
            var again = empty(2, 5003);
            Run(gemm, x, weight, bias, again, dotProducts);
            again.ShouldBeBitIdenticalTo(first);
        }
    }

    [Theory]
    [InlineData(false, "Float32")]
    [InlineData(false, "BFloat16")]
    [InlineData(true, "Float32")]
    [InlineData(true, "BFloat16")]
    public void A_row_gives_the_same_bits_alone_and_with_other_rows(bool dotProducts, string formatName)
    {
        var format = Enum.Parse<WeightFormat>(formatName);
        // Batch composition must not change a sequence's numbers (one to four rows all take the kernel; rows go
        // through it in pairs, sharing the weights' loads, and a last odd row alone).
        var gemm = new SmallBatchGemm(2, SimdLevels.Best);
        using var scope = NewDisposeScope();
        var x = Random([4, 300], 4);
        var weight = Random(dotProducts ? [5003, 300] : [300, 5003], 5, format);
        var all = empty(4, 5003);
        var three = empty(3, 5003);
        var alone = empty(1, 5003);
        Run(gemm, x, weight, null, all, dotProducts);
        Run(gemm, x[..3].contiguous(), weight, null, three, dotProducts);
        Run(gemm, x[2..3].contiguous(), weight, null, alone, dotProducts);
        alone.ShouldBeBitIdenticalTo(all[2..3]);
        alone.ShouldBeBitIdenticalTo(three[2..3]);
        three.ShouldBeBitIdenticalTo(all[..3]);
    }

    [Fact]
    public void Products_are_split_across_the_threads_asked_for()
    {
        new SmallBatchGemm(2, SimdLevels.Best).Threads.ShouldBe(2);
        new SmallBatchGemm(0, SimdLevels.Best).Threads.ShouldBe(1);
    }

    [Fact]
    public void A_non_contiguous_input_is_read_correctly()
    {
        using var scope = NewDisposeScope();
        var x = Random([70, 3], 8).t();                    // [3, 70], strided
        var weight = Random([70, 45], 9);
        var bias = Random([45], 10);

        var y = SmallBatchLinear.InputMajor(x, weight, bias);

        x.is_contiguous().ShouldBeFalse();
        (y - bias.addmm(x, weight)).abs().max().item<float>().ShouldBeLessThan(1e-4f);
    }

    [Fact]
    public void A_bfloat16_linear_layer_returns_bfloat16_within_one_rounding_of_the_exact_result()
    {
        using var scope = NewDisposeScope();
        var x = Random([3, 70], 5).to(ScalarType.BFloat16);
        var weight = Random([70, 45], 6, WeightFormat.BFloat16);
        var bias = Random([45], 7, WeightFormat.BFloat16);

        var y = SmallBatchLinear.InputMajor(x, weight, bias);
        var logits = SmallBatchLinear.OutputMajor(x, weight.t().contiguous(), ScalarType.Float32);

        y.dtype.ShouldBe(ScalarType.BFloat16);
        logits.dtype.ShouldBe(ScalarType.Float32);
        var exact = x.to(ScalarType.Float64).matmul(weight.to(ScalarType.Float64));
        // Rounding to bfloat16 (8 significant bits) is within 2⁻⁸ relative; the float32 accumulation of 70 terms adds
        // less than 1e-4 here.
        var exactY = exact + bias.to(ScalarType.Float64);
        ((y.to(ScalarType.Float64) - exactY).abs() - exactY.abs() * Math.Pow(2, -8)).max().item<double>().ShouldBeLessThan(1e-4);
        (logits.to(ScalarType.Float64) - exact).abs().max().item<double>().ShouldBeLessThan(1e-4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(4099)]
    public void Widening_bfloat16_is_bit_identical_to_libtorchs(int count)
    {
        using var scope = NewDisposeScope();
        // Every length tail; values at many scales, with infinities and NaN among them.
        var values = (Random([count], 13) * exp(Random([count], 14) * 10)).to(ScalarType.BFloat16);
        if (count > 3)
        {
            values[0] = float.PositiveInfinity;
            values[1] = float.NaN;
            values[2] = -0f;
        }
        var widened = full(count, 42f);
        fixed (byte* source = values.bytes)
        fixed (byte* destination = widened.bytes)
            BFloat16Conversion.Widen((ushort*)source, (float*)destination, count);

        widened.bytes.SequenceEqual(values.to(ScalarType.Float32).bytes).ShouldBeTrue();
    }

    [Fact]
    public void Rounding_to_bfloat16_is_bit_identical_to_libtorchs_and_keeps_NaN()
    {
        using var scope = NewDisposeScope();
        // Random values at many scales, exact ties (odd and even), the largest finite float, infinities, zeros and
        // subnormals. (libtorch's NaN bits depend on its code path: only NaN-ness is compared for NaN.)
        var values = cat([
            Random([4099], 11) * exp(Random([4099], 12) * 10),
            tensor(new[] { 1f + 1f / 256, 1f + 3f / 256, -(1f + 1f / 256), float.MaxValue, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1e-40f, -1.17e-38f }),
        ]);
        var rounded = empty(values.shape, ScalarType.BFloat16);
        var nan = tensor(new[] { float.NaN, -float.NaN });
        var roundedNaN = empty(2, ScalarType.BFloat16);
        fixed (byte* source = values.bytes)
        fixed (byte* destination = rounded.bytes)
            BFloat16Conversion.Round((float*)source, (ushort*)destination, (int)values.numel());
        fixed (byte* source = nan.bytes)
        fixed (byte* destination = roundedNaN.bytes)
            BFloat16Conversion.Round((float*)source, (ushort*)destination, 2);

        rounded.bytes.SequenceEqual(values.to(ScalarType.BFloat16).bytes).ShouldBeTrue();
        roundedNaN.isnan().all().item<bool>().ShouldBeTrue();
    }

    private static Tensor Random(long[] shape, int seed, WeightFormat format = WeightFormat.Float32)
    {
        using var generator = new Generator((ulong)seed);
        var values = randn(shape, generator: generator);
        return format == WeightFormat.Float32 ? values : values.to(ScalarType.BFloat16);
    }

    private static void Run(SmallBatchGemm gemm, Tensor x, Tensor weight, Tensor? bias, Tensor y, bool dotProducts)
    {
        var format = weight.dtype == ScalarType.Float32 ? WeightFormat.Float32 : WeightFormat.BFloat16;
        fixed (byte* px = x.bytes)
        fixed (byte* pw = weight.bytes)
        fixed (byte* pb = bias is null ? default : bias.bytes)
        fixed (byte* py = y.bytes)
        {
            var arguments = new GemmArguments((float*)px, (int)x.shape[0], (int)x.shape[1], pw, pb, format, (int)y.shape[1], (float*)py);
            if (dotProducts) gemm.DotProducts(arguments);
            else gemm.RowStream(arguments);
        }
    }

    private static void ShouldMatch(Tensor actual, Tensor exact, Tensor magnitude, int terms, string what)
    {
        var allowed = magnitude * ((terms + 2) * Math.Pow(2, -24)) + 1e-30;
        var excess = ((actual.to(ScalarType.Float64) - exact).abs() - allowed).max().item<double>();
        actual.isnan().any().item<bool>().ShouldBeFalse($"{what}: unwritten outputs");
        excess.ShouldBeLessThanOrEqualTo(0, what);
    }
}

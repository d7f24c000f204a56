using Steer.Models;
using Steer.Runtime.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Tests.Runtime;

/// <summary>
/// The prompt-pass float32 GEMM against a float64 torch reference, in both weight layouts, on shapes that leave short
/// row tiles, narrow column panels and k tails, inline and across threads.
/// </summary>
/// <remarks>
/// Tolerance as for the small-batch kernels (Higham §3.1): each output is the bias plus k products summed in float32,
/// so it is within (k + 2)·2⁻²⁴ · (|x|·|W| + |b|) of the float64 result. A wrong index is off by a whole term.
/// </remarks>
public sealed unsafe class PanelGemmTests
{
    /// <summary>(rows, in, out): full and short tiles of 8 rows, full and narrow panels of 32 columns, k = 1.</summary>
    private static readonly (int Rows, int In, int Out)[] Shapes =
        [(8, 32, 32), (5, 7, 45), (64, 300, 96), (13, 1, 33), (70, 257, 130), (1, 64, 31)];

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    public void Products_match_float64_for_every_tile_and_panel_shape(int threads, bool transposed)
    {
        foreach (var (rows, inner, outputs) in Shapes)
            foreach (var withBias in new[] { true, false })
            {
                using var scope = NewDisposeScope();
                var seed = rows * 7919 + inner * 31 + outputs;
                var x = Random([rows, inner], seed);
                // W [in, out], or E [out, in] for the transposed form: the same product x·W either way.
                var stored = Random(transposed ? [outputs, inner] : [inner, outputs], seed + 1);
                var bias = withBias ? Random([outputs], seed + 2) : null;
                var y = full([rows, outputs], float.NaN); // every element must be written

                Run(x, stored, bias, y, threads, transposed);

                var x64 = x.to(ScalarType.Float64);
                var w64 = transposed ? stored.to(ScalarType.Float64).t() : stored.to(ScalarType.Float64);
                var b64 = bias?.to(ScalarType.Float64) ?? zeros(outputs, ScalarType.Float64);
                var what = $"[{rows}, {inner}] · [{string.Join(", ", stored.shape)}]{(transposed ? "ᵀ" : "")}, bias {withBias}, threads {threads}";
                var allowed = (x64.abs().matmul(w64.abs()) + b64.abs()) * ((inner + 2) * Math.Pow(2, -24)) + 1e-30;
                y.isnan().any().item<bool>().ShouldBeFalse($"{what}: unwritten outputs");
                ((y.to(ScalarType.Float64) - x64.matmul(w64) - b64).abs() - allowed).max().item<double>().ShouldBeLessThanOrEqualTo(0, what);
            }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_row_gives_the_same_bits_alone_with_other_rows_and_on_any_thread_count(bool transposed)
    {
        // A prompt's numbers must not depend on what else is in the batch or on who ran which panel.
        using var scope = NewDisposeScope();
        var (x, weight, bias) = (Random([19, 200], 1), Random(transposed ? [100, 200] : [200, 100], 2), Random([100], 3));
        var all = empty(19, 100);
        var again = empty(19, 100);
        var alone = empty(1, 100);
        Run(x, weight, bias, all, threads: 2, transposed);
        Run(x, weight, bias, again, threads: 1, transposed);
        Run(x[11..12].contiguous(), weight, bias, alone, threads: 2, transposed);
        again.ShouldBeBitIdenticalTo(all);
        alone.ShouldBeBitIdenticalTo(all[11..12]);
    }

    [Fact]
    public void A_float32_layer_takes_the_panel_path_only_when_enabled_and_agrees_with_libtorch()
    {
        var before = PromptProducts.Enabled;
        try
        {
            using var scope = NewDisposeScope();
            var (x, weight, bias) = (Random([40, 96], 4), Random([96, 64], 5), Random([64], 6));
            PromptProducts.Enabled = false;
            PromptProducts.TryMultiply(x, weight, bias, outputMajor: false).ShouldBeNull();
            var libtorch = Linear.Multiply(x, weight, bias, LinearLayout.InputMajor, ScalarType.Float32);

            PromptProducts.Enabled = true;
            PromptProducts.TryMultiply(x[..4].contiguous(), weight, bias, outputMajor: false).ShouldBeNull(); // the decode kernels' rows
            PromptProducts.TryMultiply(x.to(ScalarType.BFloat16), weight.to(ScalarType.BFloat16), bias.to(ScalarType.BFloat16), outputMajor: false).ShouldBeNull();
            PromptProducts.TryMultiply(x.t().contiguous().t(), weight, bias, outputMajor: false).ShouldBeNull(); // strided x
            var panel = Linear.Multiply(x, weight, bias, LinearLayout.InputMajor, ScalarType.Float32);

            panel.shape.ShouldBe([40L, 64L]);
            (panel - libtorch).abs().max().item<float>().ShouldBeLessThan(1e-4f);
            panel.ShouldBeBitIdenticalTo(PromptProducts.TryMultiply(x, weight, bias, outputMajor: false)!);
            var unbiased = Linear.Multiply(x, weight, null, LinearLayout.InputMajor, ScalarType.Float32);
            unbiased.ShouldBeBitIdenticalTo(PromptProducts.TryMultiply(x, weight, null, outputMajor: false)!);
            (unbiased - x.matmul(weight)).abs().max().item<float>().ShouldBeLessThan(1e-4f);

            // nn.Linear's layout [out, in], with and without a bias.
            var transposed = weight.t().contiguous();
            foreach (var b in new[] { bias, null })
            {
                var viaPanels = Linear.Multiply(x, transposed, b, LinearLayout.OutputMajor, ScalarType.Float32);
                PromptProducts.Enabled = false;
                var viaLibtorch = Linear.Multiply(x, transposed, b, LinearLayout.OutputMajor, ScalarType.Float32);
                PromptProducts.Enabled = true;
                (viaPanels - viaLibtorch).abs().max().item<float>().ShouldBeLessThan(1e-4f);
                viaPanels.ShouldBeBitIdenticalTo(PromptProducts.TryMultiply(x, transposed, b, outputMajor: true)!);
            }
            PromptProducts.TryMultiply(x, weight, bias, outputMajor: true).ShouldBeNull(); // [96, 64] is not [out, in] for x [40, 96]
        }
        finally
        {
            PromptProducts.Enabled = before;
        }
    }

    [Fact]
    public void Empty_sizes_are_refused()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => PanelGemm.Multiply(null, 0, 1, null, null, 1, null, 1));
        Should.Throw<ArgumentOutOfRangeException>(() => PanelGemm.Multiply(null, 1, 0, null, null, 1, null, 1));
        Should.Throw<ArgumentOutOfRangeException>(() => PanelGemm.Multiply(null, 1, 1, null, null, 0, null, 1));
        Should.Throw<ArgumentOutOfRangeException>(() => PanelGemm.MultiplyTransposed(null, 0, 1, null, null, 1, null, 1));
        Should.Throw<ArgumentOutOfRangeException>(() => PanelGemm.MultiplyTransposed(null, 1, 1, null, null, 0, null, 1));
    }

    private static Tensor Random(long[] shape, int seed)
    {
        using var generator = new Generator((ulong)seed);
        return randn(shape, generator: generator);
    }

    private static void Run(Tensor x, Tensor weight, Tensor? bias, Tensor y, int threads, bool transposed = false)
    {
        fixed (byte* px = x.bytes)
        fixed (byte* pw = weight.bytes)
        fixed (byte* pb = bias is null ? default : bias.bytes)
        fixed (byte* py = y.bytes)
        {
            var (rows, inner, outputs) = ((int)x.shape[0], (int)x.shape[1], (int)y.shape[1]);
            if (transposed) PanelGemm.MultiplyTransposed((float*)px, rows, inner, (float*)pw, (float*)pb, outputs, (float*)py, threads);
            else PanelGemm.Multiply((float*)px, rows, inner, (float*)pw, (float*)pb, outputs, (float*)py, threads);
        }
    }
}

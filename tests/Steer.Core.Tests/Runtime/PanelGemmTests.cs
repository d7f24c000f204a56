using Steer.Models;
using Steer.Runtime.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Tests.Runtime;

/// <summary>
/// The prompt-pass float32 GEMM against a float64 torch reference, on shapes that leave short row tiles and narrow
/// column panels, inline and across threads.
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
    [InlineData(1)]
    [InlineData(2)]
    public void Products_match_float64_for_every_tile_and_panel_shape(int threads)
    {
        foreach (var (rows, inner, outputs) in Shapes)
        {
            using var scope = NewDisposeScope();
            var seed = rows * 7919 + inner * 31 + outputs;
            var (x, weight, bias) = (Random([rows, inner], seed), Random([inner, outputs], seed + 1), Random([outputs], seed + 2));
            var y = full([rows, outputs], float.NaN); // every element must be written

            Run(x, weight, bias, y, threads);

            var (x64, w64, b64) = (x.to(ScalarType.Float64), weight.to(ScalarType.Float64), bias.to(ScalarType.Float64));
            var allowed = (x64.abs().matmul(w64.abs()) + b64.abs()) * ((inner + 2) * Math.Pow(2, -24)) + 1e-30;
            y.isnan().any().item<bool>().ShouldBeFalse($"[{rows}, {inner}] · [{inner}, {outputs}]: unwritten outputs");
            ((y.to(ScalarType.Float64) - x64.matmul(w64) - b64).abs() - allowed).max().item<double>()
                .ShouldBeLessThanOrEqualTo(0, $"[{rows}, {inner}] · [{inner}, {outputs}], threads {threads}");
        }
    }

    [Fact]
    public void A_row_gives_the_same_bits_alone_with_other_rows_and_on_any_thread_count()
    {
        // A prompt's numbers must not depend on what else is in the batch or on who ran which panel.
        using var scope = NewDisposeScope();
        var (x, weight, bias) = (Random([19, 200], 1), Random([200, 100], 2), Random([100], 3));
        var all = empty(19, 100);
        var again = empty(19, 100);
        var alone = empty(1, 100);
        Run(x, weight, bias, all, threads: 2);
        Run(x, weight, bias, again, threads: 1);
        Run(x[11..12].contiguous(), weight, bias, alone, threads: 2);
        again.ShouldBeBitIdenticalTo(all);
        alone.ShouldBeBitIdenticalTo(all[11..12]);
    }

    [Fact]
    public void A_float32_input_major_layer_takes_the_panel_path_only_when_enabled_and_agrees_with_libtorch()
    {
        var before = PromptProducts.Enabled;
        try
        {
            using var scope = NewDisposeScope();
            var (x, weight, bias) = (Random([40, 96], 4), Random([96, 64], 5), Random([64], 6));
            PromptProducts.Enabled = false;
            PromptProducts.TryInputMajor(x, weight, bias).ShouldBeNull();
            var libtorch = Linear.Multiply(x, weight, bias, LinearLayout.InputMajor, ScalarType.Float32);

            PromptProducts.Enabled = true;
            PromptProducts.TryInputMajor(x[..4].contiguous(), weight, bias).ShouldBeNull(); // the decode kernels' rows
            PromptProducts.TryInputMajor(x.to(ScalarType.BFloat16), weight.to(ScalarType.BFloat16), bias.to(ScalarType.BFloat16)).ShouldBeNull();
            PromptProducts.TryInputMajor(x.t().contiguous().t(), weight, bias).ShouldBeNull(); // strided x
            var panel = Linear.Multiply(x, weight, bias, LinearLayout.InputMajor, ScalarType.Float32);

            panel.shape.ShouldBe([40L, 64L]);
            (panel - libtorch).abs().max().item<float>().ShouldBeLessThan(1e-4f);
            panel.ShouldBeBitIdenticalTo(PromptProducts.TryInputMajor(x, weight, bias)!);
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
    }

    private static Tensor Random(long[] shape, int seed)
    {
        using var generator = new Generator((ulong)seed);
        return randn(shape, generator: generator);
    }

    private static void Run(Tensor x, Tensor weight, Tensor bias, Tensor y, int threads)
    {
        fixed (byte* px = x.bytes)
        fixed (byte* pw = weight.bytes)
        fixed (byte* pb = bias.bytes)
        fixed (byte* py = y.bytes)
            PanelGemm.Multiply((float*)px, (int)x.shape[0], (int)x.shape[1], (float*)pw, (float*)pb, (int)y.shape[1], (float*)py, threads);
    }
}

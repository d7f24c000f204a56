using Steer.Runtime.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Steer.Tests.Runtime;

/// <summary>The decoding step's gelu_new against the definition in float64, and against libtorch's gelu (tanh).</summary>
public sealed class GeluKernelTests
{
    /// <summary>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) in float64, Hugging Face's NewGELUActivation.</summary>
    private static Tensor Reference(Tensor x)
    {
        var x64 = x.to(ScalarType.Float64);
        return 0.5 * x64 * (1 + (Math.Sqrt(2 / Math.PI) * (x64 + 0.044715 * x64.pow(3))).tanh());
    }

    /// <summary>The largest |actual − expected| / (|x| + 1e-30): gelu_new(x) is x times a factor in [0, 1].</summary>
    private static double Worst(Tensor actual, Tensor expected, Tensor x) =>
        ((actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs() / (x.to(ScalarType.Float64).abs() + 1e-30)).max().item<double>();

    [Fact]
    public void Float32_gelu_is_within_a_few_roundings_of_the_definition_and_of_libtorch()
    {
        using var scope = NewDisposeScope();
        // [batch, pos, d_mlp]: a decoding step of 2 rows, values over the range that matters and beyond it.
        var x = cat([linspace(-12, 12, 3000), tensor(new float[] { 0f, -0f, 1e-20f, -1e-20f, 40f, -40f, -100f, 100f }),
            randn(3136) * 3]).view(2, 1, 3072);
        GeluKernel.Handles(x).ShouldBe(SmallBatchLinear.Enabled);

        var kernel = GeluKernel.Apply(x);

        kernel.shape.ShouldBe(x.shape);
        // Measured: the kernel is within 1.1e-7·|x| of the definition (libtorch 9.7e-8), and of libtorch within 1.7e-7·|x|.
        Worst(kernel, Reference(x), x).ShouldBeLessThan(5e-7);
        Worst(kernel, nn.functional.gelu(x, GELU.Approximate.tanh), x).ShouldBeLessThan(5e-7);
        kernel.isfinite().all().item<bool>().ShouldBeTrue();
    }

    [Fact]
    public void Bfloat16_gelu_rounds_once()
    {
        using var scope = NewDisposeScope();
        var x = (randn(4, 1, 768) * 3).to(ScalarType.BFloat16);

        var kernel = GeluKernel.Apply(x);

        kernel.dtype.ShouldBe(ScalarType.BFloat16);
        // One bfloat16 rounding (8 significant bits) is at most 2⁻⁸ relative to the value, which is at most |x|.
        Worst(kernel, Reference(x), x).ShouldBeLessThanOrEqualTo(1.0 / 256 + 1e-6);
    }

    [Fact]
    public void Prompt_sized_inputs_stay_on_libtorch()
    {
        using var scope = NewDisposeScope();
        GeluKernel.Handles(zeros(1, 16, 3072)).ShouldBeFalse();
        GeluKernel.Handles(zeros(1, 1, 3072, ScalarType.Float16)).ShouldBeFalse();
        GeluKernel.Handles(zeros(1, 2, 3072).transpose(0, 1)).ShouldBe(SmallBatchLinear.Enabled, "a transposed size-1 dimension is still contiguous");
    }
}

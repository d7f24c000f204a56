using Steer.Models.Llama;
using Steer.Runtime.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Tests.Runtime;

/// <summary>
/// The decoding step's RMSNorm and RoPE kernels compute what the libtorch operations they replace compute: RoPE
/// bit for bit (the same products and sums, rounded after each one in bfloat16), RMSNorm up to the order of its
/// sum of squares.
/// </summary>
public sealed class NormAndRopeKernelTests
{
    private static Tensor Random(long[] shape, ScalarType dtype, int seed)
    {
        using var generator = new Generator((ulong)seed);
        return randn(shape, generator: generator).to(dtype);
    }

    private static Tensor LibtorchRmsNorm(Tensor x, Tensor weight, double eps)
    {
        var x32 = x.to(ScalarType.Float32);
        var normalized = (x32 * x32.square().mean([-1], keepdim: true).add_(eps).rsqrt_()).to(x.dtype);
        return normalized * weight;
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1e-6)]
    // One step of bfloat16 (2⁻⁸ relative) where a different summation order moves a value across a rounding boundary.
    [InlineData(ScalarType.BFloat16, 1.0 / 128)]
    public void Rms_norm_kernel_matches_the_libtorch_operations(ScalarType dtype, double relative)
    {
        using var scope = NewDisposeScope();
        var x = Random([2, 1, 576], dtype, 1) * 0.7;
        var weight = Random([576], dtype, 2) * 0.1 + 1;
        RmsNormKernel.Handles(x, weight).ShouldBe(SmallBatchLinear.Enabled);

        var kernel = RmsNormKernel.Apply(x, weight, 1e-5).to(ScalarType.Float64);
        var expected = LibtorchRmsNorm(x, weight, 1e-5).to(ScalarType.Float64);

        var worst = ((kernel - expected).abs() / (expected.abs() + 1e-6)).max().item<double>();
        worst.ShouldBeLessThanOrEqualTo(relative);
        kernel.shape.ShouldBe(x.shape);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1)]
    [InlineData(ScalarType.BFloat16, 1)]
    [InlineData(ScalarType.BFloat16, 3)]
    public void Rope_kernel_matches_the_libtorch_operations_bit_for_bit(ScalarType dtype, int batch)
    {
        using var scope = NewDisposeScope();
        var config = new LlamaConfig { ModelType = "llama", HeadDim = 16, RopeTheta = 10000 };
        var rotary = new RotaryEmbedding(config);
        var positions = tensor(new long[] { 5, 9, 0 }.Take(batch).ToArray()).view(batch, 1);      // [batch, 1]: a decoding step per row
        var (cos, sin) = rotary.Angles(positions, dtype);                                         // [batch, 1, 1, 16]
        var x = Random([batch, 1, 4, 16], dtype, 3);                                              // [batch, pos, heads, head_dim]
        RopeKernel.Handles(x, cos).ShouldBe(SmallBatchLinear.Enabled);

        var kernel = RopeKernel.Apply(x, cos, sin);
        var expected = RotaryEmbedding.Apply(x.transpose(1, 2), cos, sin).transpose(1, 2).contiguous();

        // bfloat16 widens to float32 exactly, so comparing the float32 images compares the bits.
        kernel.to(ScalarType.Float32).ShouldBeBitIdenticalTo(expected.to(ScalarType.Float32));
    }

    [Fact]
    public void Prompt_sized_inputs_stay_on_libtorch()
    {
        using var scope = NewDisposeScope();
        RmsNormKernel.Handles(zeros(1, 65, 64), ones(64)).ShouldBeFalse();
        RopeKernel.Handles(zeros(1, 4096, 8, 16), zeros(1, 1, 4096, 16)).ShouldBeFalse();
        RopeKernel.Handles(zeros(1, 1, 4, 16, ScalarType.Float16), zeros(1, 1, 1, 16, ScalarType.Float16)).ShouldBeFalse();
    }
}

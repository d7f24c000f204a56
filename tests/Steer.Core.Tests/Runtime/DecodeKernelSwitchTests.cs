using Steer.Models;
using Steer.Models.Gpt2;
using Steer.Runtime.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Tests.Runtime;

/// <summary>
/// When the model takes the small-batch kernels, and that it computes the same thing as libtorch's own path.
/// These tests switch <see cref="SmallBatchLinear.Enabled"/>, which is process-wide, so they run alone.
/// </summary>
[Collection("Environment")]
public sealed class DecodeKernelSwitchTests
{
    [Fact]
    public void Linear_layers_take_the_kernel_only_for_up_to_four_rows_of_float32_or_bfloat16_on_the_cpu()
    {
        using var scope = NewDisposeScope();
        var weight = zeros(8, 3);
        SmallBatchLinear.Handles(zeros(4, 8), weight).ShouldBe(SmallBatchLinear.Enabled);
        SmallBatchLinear.Handles(zeros(1, 8, ScalarType.BFloat16), weight.to(ScalarType.BFloat16)).ShouldBe(SmallBatchLinear.Enabled);
        SmallBatchLinear.Handles(zeros(5, 8), weight).ShouldBeFalse();
        SmallBatchLinear.Handles(zeros(0, 8), weight).ShouldBeFalse();
        SmallBatchLinear.Handles(zeros(1, 8, ScalarType.Float16), weight.to(ScalarType.Float16)).ShouldBeFalse();
        SmallBatchLinear.Handles(zeros(1, 8).requires_grad_(), weight).ShouldBeFalse("autograd cannot see through the kernels");
    }

    [Theory]
    [InlineData("float32", 1e-4)]
    // Both paths round every activation to bfloat16; summing in another order flips some roundings by one
    // bfloat16 step (2⁻⁸ relative), which the next layers carry on. See WeightLoaderTests for the 0.05 scale.
    [InlineData("bfloat16", 0.05)]
    public void Decoding_with_the_kernels_gives_libtorchs_logits(string dtype, double tolerance)
    {
        using var model = LanguageModel.FromFormula(Gpt2Config.Tiny, seed: 3, new ModelOptions { DType = dtype });
        int[] prompt = [50256, 40, 5465];
        var enabled = SmallBatchLinear.Enabled;
        try
        {
            SmallBatchLinear.Enabled = false;
            using var reference = model.Logits(prompt);
            SmallBatchLinear.Enabled = true;
            using var logits = model.Logits(prompt);

            logits.shape.ShouldBe(reference.shape);
            (logits - reference).abs().max().item<float>().ShouldBeLessThan((float)tolerance);
        }
        finally
        {
            SmallBatchLinear.Enabled = enabled;
        }
    }
}

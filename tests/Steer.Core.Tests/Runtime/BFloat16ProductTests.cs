using Steer.Models;
using Steer.Models.Gpt2;
using Steer.Runtime.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Tests.Runtime;

/// <summary>
/// bfloat16 prompt-pass products in float32 where the CPU has no bfloat16 arithmetic: the same numbers as
/// libtorch's bfloat16 GEMM up to the order of the sums. These tests switch <see cref="BFloat16Products.Native"/>,
/// which is process-wide, so they run alone.
/// </summary>
[Collection("Environment")]
public sealed class BFloat16ProductTests
{
    [Theory]
    [InlineData(LinearLayout.InputMajor)]
    [InlineData(LinearLayout.OutputMajor)]
    public void A_widened_product_is_the_float32_product_of_the_bfloat16_values_rounded_once(LinearLayout layout)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        var x = randn([16, 64], generator: generator).to(ScalarType.BFloat16);                 // [rows, in]
        var weight = (layout == LinearLayout.InputMajor ? randn([64, 48], generator: generator) : randn([48, 64], generator: generator)).to(ScalarType.BFloat16);
        var bias = randn([48], generator: generator).to(ScalarType.BFloat16);
        var wide = layout == LinearLayout.InputMajor ? weight.to(ScalarType.Float32) : weight.to(ScalarType.Float32).t();
        var expected = bias.to(ScalarType.Float32).addmm(x.to(ScalarType.Float32), wide).to(ScalarType.BFloat16);
        var native = BFloat16Products.Native;
        try
        {
            BFloat16Products.Native = false;
            var widened = Linear.Multiply(x, weight, bias, layout, ScalarType.BFloat16);
            BFloat16Products.Native = true;
            var bfloat16 = Linear.Multiply(x, weight, bias, layout, ScalarType.BFloat16);

            widened.dtype.ShouldBe(ScalarType.BFloat16);
            widened.eq(expected).all().item<bool>().ShouldBeTrue("widening is exact, so only the final rounding remains");
            // libtorch's bfloat16 GEMM sums in float32 too, in its own order: at most one bfloat16 step (2⁻⁸ relative) apart.
            var step = expected.to(ScalarType.Float32).abs().clamp_min(1).mul(1.0 / 128);
            (bfloat16.to(ScalarType.Float32) - expected.to(ScalarType.Float32)).abs().le(step).all().item<bool>().ShouldBeTrue();
        }
        finally
        {
            BFloat16Products.Native = native;
        }
    }

    [Fact]
    public void A_bfloat16_prompt_pass_gives_the_logits_of_libtorchs_bfloat16_products()
    {
        using var model = LanguageModel.FromFormula(Gpt2Config.Tiny, seed: 3, new ModelOptions { DType = "bfloat16" });
        int[] prompt = [50256, 40, 5465, 345, 780, 314, 716, 2063];                           // 8 rows: past the decode kernels
        var native = BFloat16Products.Native;
        try
        {
            BFloat16Products.Native = true;
            using var reference = model.Logits(prompt);
            BFloat16Products.Native = false;
            using var logits = model.Logits(prompt);

            logits.shape.ShouldBe(reference.shape);
            // As for the decode kernels (DecodeKernelSwitchTests): another summation order flips some roundings.
            (logits - reference).abs().max().item<float>().ShouldBeLessThan(0.05f);
            (logits - reference).abs().max().item<float>().ShouldBeGreaterThan(0f, "the two paths did run differently");
        }
        finally
        {
            BFloat16Products.Native = native;
        }
    }
}

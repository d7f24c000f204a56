using Steer.Runtime.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Tests.Runtime;

/// <summary>
/// The decoding step's LayerNorm kernel computes libtorch's layer_norm up to the order of its sums, and its KV cache
/// write stores exactly what narrow and copy_ store.
/// </summary>
public sealed class LayerNormAndCacheWriteKernelTests
{
    private static Tensor Random(long[] shape, ScalarType dtype, int seed)
    {
        using var generator = new Generator((ulong)seed);
        return randn(shape, generator: generator).to(dtype);
    }

    /// <summary>LayerNorm in float64 from the definition: biased variance, γ(x − mean)/√(var + ε) + β.</summary>
    private static Tensor Reference(Tensor x, Tensor weight, Tensor bias, double eps)
    {
        var x64 = x.to(ScalarType.Float64);
        var mean = x64.mean([-1], keepdim: true);
        var variance = (x64 - mean).square().mean([-1], keepdim: true);
        return (x64 - mean) / (variance + eps).sqrt() * weight.to(ScalarType.Float64) + bias.to(ScalarType.Float64);
    }

    private static double WorstRelative(Tensor actual, Tensor expected) =>
        ((actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs() / (expected.to(ScalarType.Float64).abs() + 1e-3)).max().item<double>();

    /// <summary>The largest absolute difference over the largest |expected| value.</summary>
    private static double ErrorOfLargest(Tensor actual, Tensor expected)
    {
        var e = expected.to(ScalarType.Float64);
        return (actual.to(ScalarType.Float64) - e).abs().max().item<double>() / e.abs().max().item<double>();
    }

    // Measured: libtorch's layer_norm is 8e-8 from the definition for rows near zero and 2.1e-6 for rows near 100,
    // where float32's spacing of x itself (7.6e-6) limits any float32 LayerNorm; the kernel 1.2e-7 and 3.1e-6.
    [Theory]
    [InlineData(1, 0.0, 5e-7)]
    [InlineData(3, 0.0, 5e-7)]
    [InlineData(2, 100.0, 1e-5)]
    public void Layer_norm_kernel_is_within_float32_rounding_of_the_definition(int rows, double offset, double bound)
    {
        using var scope = NewDisposeScope();
        var x = Random([rows, 1, 768], ScalarType.Float32, 1) * 0.7 + offset;   // [batch, pos, d_model]
        var weight = Random([768], ScalarType.Float32, 2) * 0.1 + 1;
        var bias = Random([768], ScalarType.Float32, 3) * 0.1;
        LayerNormKernel.Handles(x, weight, bias).ShouldBe(SmallBatchLinear.Enabled);

        var kernel = LayerNormKernel.Apply(x, weight, bias, 1e-5);

        kernel.shape.ShouldBe(x.shape);
        ErrorOfLargest(kernel, Reference(x, weight, bias, 1e-5)).ShouldBeLessThan(bound);
        ErrorOfLargest(kernel, nn.functional.layer_norm(x, [768], weight, bias, 1e-5)).ShouldBeLessThan(bound);
    }

    [Fact]
    public void Normalizing_then_applying_the_affine_part_gives_the_one_pass_bits_in_float32()
    {
        // The hooked path (hook_normalized between the two halves) must equal the unhooked one bit for bit.
        using var scope = NewDisposeScope();
        var x = Random([2, 1, 768], ScalarType.Float32, 9);
        var weight = Random([768], ScalarType.Float32, 10) * 0.1 + 1;
        var bias = Random([768], ScalarType.Float32, 11) * 0.1;

        var twoStep = LayerNormKernel.Affine(LayerNormKernel.Normalize(x, weight, 1e-5), weight, bias);

        twoStep.ShouldBeBitIdenticalTo(LayerNormKernel.Apply(x, weight, bias, 1e-5));
        ErrorOfLargest(LayerNormKernel.Normalize(x, weight, 1e-5), nn.functional.layer_norm(x, [768], eps: 1e-5)).ShouldBeLessThan(5e-7);
    }

    [Fact]
    public void Layer_norm_kernel_in_bfloat16_rounds_once_as_libtorch_does()
    {
        using var scope = NewDisposeScope();
        var x = Random([2, 1, 1600], ScalarType.BFloat16, 4);
        var weight = (Random([1600], ScalarType.Float32, 5) * 0.1 + 1).to(ScalarType.BFloat16);
        var bias = (Random([1600], ScalarType.Float32, 6) * 0.1).to(ScalarType.BFloat16);

        var kernel = LayerNormKernel.Apply(x, weight, bias, 1e-5);

        kernel.dtype.ShouldBe(ScalarType.BFloat16);
        // Within one rounding of bfloat16 (2⁻⁸ relative) of the definition, and of libtorch, which rounds once too.
        WorstRelative(kernel, Reference(x, weight, bias, 1e-5)).ShouldBeLessThanOrEqualTo(1.0 / 256);
        WorstRelative(kernel, nn.functional.layer_norm(x, [1600], weight, bias, 1e-5)).ShouldBeLessThanOrEqualTo(1.0 / 128);
    }

    [Fact]
    public void Layer_norm_kernel_refuses_prompt_sized_inputs_and_mismatched_parameters()
    {
        using var scope = NewDisposeScope();
        LayerNormKernel.Handles(zeros(1, 65, 64), ones(64), zeros(64)).ShouldBeFalse();
        LayerNormKernel.Handles(zeros(1, 1, 64), ones(64), zeros(64, ScalarType.BFloat16)).ShouldBeFalse();
        LayerNormKernel.Handles(zeros(1, 1, 64), ones(64), zeros(32)).ShouldBeFalse();
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1)]
    [InlineData(ScalarType.BFloat16, 3)]
    public void Cache_write_stores_a_strided_step_exactly_where_narrow_and_copy_store_it(ScalarType dtype, int batch)
    {
        using var scope = NewDisposeScope();
        const int heads = 4, headDim = 16, capacity = 10, position = 6;
        // The step's keys as attention makes them: a [batch, heads, 1, head_dim] view of the fused qkv product.
        var qkv = Random([batch, 1, 3, heads, headDim], dtype, 7);
        var key = qkv.select(2, 1).transpose(1, 2);
        key.storage_offset().ShouldBe(heads * headDim, "the keys start after the queries");
        key.is_contiguous().ShouldBe(batch == 1, "one row's heads are adjacent; several rows' are not");
        var cache = Random([batch, heads, capacity, headDim], dtype, 8);
        var expected = cache.clone();
        expected.narrow(2, position, 1).copy_(key);
        var writer = new CacheWriteKernel(cache);
        writer.Handles(key).ShouldBe(SmallBatchLinear.Enabled);

        writer.Write(key, position);

        cache.to(ScalarType.Float32).ShouldBeBitIdenticalTo(expected.to(ScalarType.Float32));
    }

    [Fact]
    public void Cache_write_refuses_several_positions_another_dtype_and_positions_outside_the_cache()
    {
        using var scope = NewDisposeScope();
        var writer = new CacheWriteKernel(zeros(1, 2, 4, 8));
        writer.Handles(zeros(1, 2, 2, 8)).ShouldBeFalse();
        writer.Handles(zeros(1, 2, 1, 8, ScalarType.BFloat16)).ShouldBeFalse();
        writer.Handles(zeros(1, 3, 1, 8)).ShouldBeFalse();
        writer.Handles(zeros(1, 2, 1, 16).narrow(3, 0, 8)).ShouldBe(SmallBatchLinear.Enabled, "rows with a gap after them are still contiguous rows");
        Should.Throw<ArgumentOutOfRangeException>(() => writer.Write(zeros(1, 2, 1, 8), 4));
        Should.Throw<ArgumentException>(() => new CacheWriteKernel(zeros(1, 2, 8, 4).transpose(2, 3)));
    }

    [Fact]
    public void A_disposed_kv_cache_refuses_further_steps_instead_of_writing_into_freed_memory()
    {
        using var model = LanguageModel.FromFormula(Steer.Architectures.ModelShapes.Get("tiny"), seed: 1);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var cache = model.Transformer.CreateCache(1, 8);
        var input = model.Input([[1, 2, 3]], cache, lastOnly: true);
        model.Transformer.Forward(input);
        cache.Dispose();

        Should.Throw<ObjectDisposedException>(() => model.Transformer.Forward(input with { Ids = tensor(new long[] { 4 }, [1, 1]) }));
    }
}

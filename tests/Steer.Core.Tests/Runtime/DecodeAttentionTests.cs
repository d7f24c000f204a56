using Steer.Runtime.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Tests.Runtime;

/// <summary>
/// The one-query attention kernel against libtorch's scaled_dot_product_attention in float64, on caches longer than
/// the positions attended to, grouped-query heads and head sizes that are not a multiple of any vector width.
/// </summary>
/// <remarks>
/// Tolerance: float32 accumulation over at most a few hundred terms of values of order 1 stays within 1e-5 of the
/// float64 result; a bfloat16 output is rounded once more (2⁻⁹ relative). A wrong head, key or position is off by
/// the size of a whole value.
/// </remarks>
public sealed class DecodeAttentionTests
{
    [Theory]
    [InlineData("float32", 1, 12, 12, 64, 37, 50)]
    [InlineData("float32", 2, 8, 2, 24, 5, 9)]
    [InlineData("float32", 1, 6, 1, 13, 1, 4)]
    [InlineData("bfloat16", 2, 4, 2, 16, 130, 200)]
    [InlineData("bfloat16", 1, 12, 12, 64, 300, 300)]
    public void One_query_attention_matches_libtorch_in_float64(string dtype, int batch, int heads, int kvHeads, int headDim, int length, int capacity)
    {
        using var scope = NewDisposeScope();
        var type = dtype == "float32" ? ScalarType.Float32 : ScalarType.BFloat16;
        var generator = new Generator(7).manual_seed(7);
        var q = randn([batch, 1, heads, headDim], generator: generator).to(type).transpose(1, 2);   // a strided view, as in the models
        var keys = randn([batch, kvHeads, capacity, headDim], generator: generator).to(type);
        var values = randn([batch, kvHeads, capacity, headDim], generator: generator).to(type);

        var z = DecodeAttention.Compute(q, keys, values, length);

        var group = heads / kvHeads;
        var k = keys.narrow(2, 0, length).repeat_interleave(group, 1).to(ScalarType.Float64);
        var v = values.narrow(2, 0, length).repeat_interleave(group, 1).to(ScalarType.Float64);
        var expected = nn.functional.scaled_dot_product_attention(q.to(ScalarType.Float64), k, v);
        z.dtype.ShouldBe(type);
        z.shape.ShouldBe([batch, heads, 1, headDim]);
        var error = (z.to(ScalarType.Float64) - expected).abs().max().item<double>();
        error.ShouldBeLessThan(type == ScalarType.Float32 ? 1e-5 : 8e-3 * expected.abs().max().item<double>());
    }

    [Fact]
    public void Only_unmasked_one_query_steps_of_float_caches_are_handled()
    {
        using var scope = NewDisposeScope();
        var cache = zeros(1, 2, 8, 16);
        DecodeAttention.Handles(zeros(1, 4, 1, 16), cache, cache).ShouldBe(SmallBatchLinear.Enabled);
        DecodeAttention.Handles(zeros(1, 4, 2, 16), cache, cache).ShouldBeFalse("two queries");
        DecodeAttention.Handles(zeros(1, 3, 1, 16), cache, cache).ShouldBeFalse("3 heads cannot share 2 key-value heads");
        DecodeAttention.Handles(zeros(1, 4, 1, 16, ScalarType.Float16), cache.half(), cache.half()).ShouldBeFalse();
        Should.Throw<ArgumentOutOfRangeException>(() => DecodeAttention.Compute(zeros(1, 4, 1, 16), cache, cache, 9));
    }
}

using static TorchSharp.torch;

namespace Steer.Tests;

internal static class TensorAssertions
{
    /// <summary>Same shape, dtype and every element bit for bit (torch.equal).</summary>
    public static void ShouldBeBitIdenticalTo(this Tensor actual, Tensor expected)
    {
        actual.shape.ShouldBe(expected.shape);
        actual.dtype.ShouldBe(expected.dtype);
        using var same = actual.eq(expected).all();
        same.item<bool>().ShouldBeTrue($"max |difference| {(actual - expected).abs().max().item<float>()}");
    }
}

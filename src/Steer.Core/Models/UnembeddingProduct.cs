using Steer.Runtime;
using Steer.Runtime.Kernels;
using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>
/// The logits product x·W_Uᵀ for W_U [vocab, d_model] as stored, shared by the architectures: through the decode
/// kernels or libtorch, or, for <c>--dtype int8</c>, through a Q8_0 copy of W_U (the float32 matrix stays for the
/// embedding lookup and the logit lens).
/// </summary>
internal sealed class UnembeddingProduct : IDisposable
{
    private Q8Matrix? _int8;

    /// <summary>Makes the Q8_0 copy; a d_model that is not a multiple of 32 keeps float logits.</summary>
    /// <returns>the copy's bytes (0 without one)</returns>
    public long Quantize(Tensor unembedding)
    {
        if (_int8 is null && Q8Matrix.CanQuantize(unembedding)) _int8 = Q8Matrix.From(unembedding);
        return _int8?.Bytes ?? 0;
    }

    /// <param name="rows">[m, d_model]</param>
    /// <param name="unembedding">[vocab, d_model]</param>
    /// <returns>[m, vocab], float32 for int8, else in the rows' dtype</returns>
    public Tensor Multiply(Tensor rows, Tensor unembedding)
    {
        using var profiled = OperationProfiler.Time(ProfiledOperation.Logits);
        return _int8?.Multiply(rows, bias: null) ?? Linear.Multiply(rows, unembedding, null, LinearLayout.OutputMajor, rows.dtype);
    }

    public void Dispose() => _int8?.Dispose();
}

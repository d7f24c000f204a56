using static TorchSharp.torch;

namespace Steer.Models.Llama;

/// <summary>
/// Rotary position embeddings in Hugging Face's "rotate_half" form: the first and second halves of each head's
/// vector are the pairs rotated (not the interleaved pairs of llama2.c and GGUF files), with the frequencies of
/// <c>rope_theta</c> and <c>rope_scaling</c>.
/// </summary>
internal sealed class RotaryEmbedding
{
    private readonly float[] _inverseFrequencies; // [head_dim / 2]

    public RotaryEmbedding(LlamaConfig config) => _inverseFrequencies = InverseFrequencies(config);

    /// <summary>1 / θ^(2j/d), then rope_scaling, as Hugging Face's rope initialisers compute them.</summary>
    internal static float[] InverseFrequencies(LlamaConfig config)
    {
        var half = config.HeadDim / 2;
        var frequencies = new float[half];
        for (var j = 0; j < half; j++)
        {
            var f = 1.0 / Math.Pow(config.RopeTheta, 2.0 * j / config.HeadDim);
            frequencies[j] = (float)(config.RopeScaling is { } s ? Scale(f, s) : f);
        }
        return frequencies;
    }

    private static double Scale(double f, RopeScaling s)
    {
        if (s.Type == "linear") return f / s.Factor;
        // llama3: keep high frequencies, divide low ones by the factor, and blend the band between.
        var wavelength = 2 * Math.PI / f;
        var lowWavelength = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
        var highWavelength = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        if (wavelength < highWavelength) return f;
        if (wavelength > lowWavelength) return f / s.Factor;
        var smooth = (s.OriginalMaxPositionEmbeddings / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
        return (1 - smooth) * f / s.Factor + smooth * f;
    }

    /// <summary>cos and sin of position·frequency, in float32 as Hugging Face computes them, then in <paramref name="dtype"/>.</summary>
    /// <param name="positions">[batch or 1, pos] int64 absolute positions.</param>
    /// <returns>cos and sin, each [batch or 1, 1, pos, head_dim]</returns>
    public (Tensor Cos, Tensor Sin) Angles(Tensor positions, ScalarType dtype)
    {
        var frequencies = tensor(_inverseFrequencies, device: positions.device);                 // [head_dim/2]
        var angles = positions.to(ScalarType.Float32).unsqueeze(-1) * frequencies;              // [b, pos, head_dim/2]
        var both = cat([angles, angles], -1).unsqueeze(1);                                       // [b, 1, pos, head_dim]
        return (both.cos().to(dtype), both.sin().to(dtype));
    }

    /// <param name="x">[batch, heads, pos, head_dim]</param>
    /// <returns>x rotated, [batch, heads, pos, head_dim]</returns>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.shape[^1] / 2;
        var rotated = cat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);         // rotate_half(x)
        return x * cos + rotated * sin;
    }
}

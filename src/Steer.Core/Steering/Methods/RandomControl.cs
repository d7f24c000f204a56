using System.Globalization;

namespace Steer.Steering.Methods;

/// <summary>
/// The post's controls for "is this effect directional, or would any vector this large do it?": a random vector with
/// the steering vector's per-position norms, and any vector rescaled to a steering vector's mean norm.
/// </summary>
public static class RandomControl
{
    /// <summary>
    /// N(0, 1) values of <paramref name="vector"/>'s shape drawn from <paramref name="seed"/>, each position rescaled to
    /// the vector's norm at that position, position 0 (BOS, which every prompt shares) set to zero; same hook points and
    /// modes. A position where the vector is zero stays zero. The same seed gives the same values on every machine.
    /// </summary>
    public static SteeringVector RandomLike(SteeringVector vector, int seed)
    {
        var random = new Random(seed);
        var components = vector.Components.Select(c =>
        {
            var values = new float[c.Values.Length];
            var norms = c.PositionNorms();
            var draw = new double[c.ModelDim];
            for (var position = 0; position < c.Positions; position++)
            {
                // Drawn for every position, the zeroed first one too, so that position p's values depend on the seed alone.
                for (var i = 0; i < draw.Length; i++) draw[i] = StandardNormal(random);
                if (position == 0 && c.Mode == PositionMode.Front) continue;
                var drawn = Math.Sqrt(draw.Sum(v => v * v));
                var scale = drawn == 0 ? 0 : norms[position] / drawn;
                for (var i = 0; i < draw.Length; i++) values[position * c.ModelDim + i] = (float)(draw[i] * scale);
            }
            return c with { Values = values };
        });
        return new SteeringVector(components, Described("random-like", vector, new()
        {
            ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
        }));
    }

    /// <summary>
    /// <paramref name="vector"/> times the factor that makes its mean per-position norm equal
    /// <paramref name="reference"/>'s (<see cref="MeanPositionNorm"/>), e.g. the post's "random text" vector
    /// <c>"fdsajl; fs" − ""</c> at the norm of the vector it controls for.
    /// </summary>
    public static SteeringVector MatchNorm(SteeringVector vector, SteeringVector reference)
    {
        var own = MeanPositionNorm(vector);
        var target = MeanPositionNorm(reference);
        if (own == 0)
            throw new SteerException(ErrorKind.InvalidArgument, "cannot rescale a vector that is zero at every position past the first to another's norm");
        var factor = target / own;
        var scaled = vector * factor;
        return scaled.WithMetadata(scaled.Metadata with
        {
            Properties = new Dictionary<string, string>(scaled.Metadata.Properties)
            {
                ["match_norm.factor"] = factor.ToString("R", CultureInfo.InvariantCulture),
                ["match_norm.target"] = target.ToString("R", CultureInfo.InvariantCulture),
            },
        });
    }

    /// <summary>
    /// The mean L2 norm of a vector's positions, over every component: past position 0 for front components (BOS is
    /// the same in both prompts of a pair, so it is near zero and says nothing), every row of per-position ones.
    /// </summary>
    public static double MeanPositionNorm(SteeringVector vector)
    {
        var norms = vector.Components.SelectMany(c => c.Mode == PositionMode.Front ? c.PositionNorms().Skip(1) : c.PositionNorms()).ToList();
        return norms.Count == 0
            ? throw new SteerException(ErrorKind.InvalidArgument, "the vector has no position past the first (BOS) to measure a norm over; use a prompt of at least one token after BOS")
            : norms.Average();
    }

    /// <summary>Box–Muller on the seeded generator: portable, unlike a library's normal sampler.</summary>
    private static double StandardNormal(Random random)
    {
        var u1 = 1.0 - random.NextDouble();   // (0, 1], so the logarithm is finite
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private static SteeringMetadata Described(string method, SteeringVector source, Dictionary<string, string> properties)
    {
        properties["method"] = method;
        properties["norms_from"] = string.Join(" + ", source.Components.Select(c => c.HookPoint));
        return new SteeringMetadata { Model = source.Metadata.Model, Properties = properties };
    }
}

using System.Globalization;
using Steer.Steering;

namespace Steer.Tests;

/// <summary>
/// A vector's provenance compared across runs: the same keys and values, an explained variance to 1e-6 relative (runs that batch
/// texts differently read float32 activations that differ in the last bits).
/// </summary>
internal static class VectorProperties
{
    public static void ShouldMatch(SteeringVector actual, SteeringVector expected)
    {
        actual.Metadata.Properties.Keys.Order().ShouldBe(expected.Metadata.Properties.Keys.Order());
        foreach (var (key, value) in expected.Metadata.Properties)
            if (key.StartsWith("explained_variance.", StringComparison.Ordinal))
                double.Parse(actual.Metadata.Properties[key], CultureInfo.InvariantCulture).ShouldBe(double.Parse(value, CultureInfo.InvariantCulture), 1e-6 * double.Parse(value, CultureInfo.InvariantCulture), key);
            else actual.Metadata.Properties[key].ShouldBe(value, key);
    }
}

namespace Steer.Runtime;

/// <summary>
/// The splitmix64 generator (Steele, Lea and Flood 2014): one 64-bit state step and its finaliser. Steer uses it
/// where numbers must be the same on every platform and in every language: row seeds and formula weights.
/// </summary>
public static class SplitMix64
{
    /// <summary>The golden-ratio increment between successive states.</summary>
    public const ulong Increment = 0x9E3779B97F4A7C15UL;

    /// <summary>The <paramref name="index"/>-th output (1-based) of the generator started at <paramref name="state"/>.</summary>
    public static ulong At(ulong state, ulong index)
    {
        var z = state + index * Increment;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

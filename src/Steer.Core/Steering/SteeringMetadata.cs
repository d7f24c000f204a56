namespace Steer.Steering;

/// <summary>Where a steering vector came from: the model and the additions that built it.</summary>
public sealed record SteeringMetadata
{
    public string? Model { get; init; }

    /// <summary>The additions as built: a padded pair names the pad token it used, anything unpadded has none.</summary>
    public IReadOnlyList<Addition> Additions { get; init; } = [];

    /// <summary>
    /// How a vector that is not a sum of additions was made (method, dataset, token, explained variance, ...), as
    /// strings: what a file keeps so that a vector can be reproduced.
    /// </summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    internal SteeringMetadata Combine(SteeringMetadata other) => new()
    {
        Model = Model ?? other.Model,
        Additions = [.. Additions, .. other.Additions],
        Properties = other.Properties.Concat(Properties).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value),
    };

    internal SteeringMetadata Scale(double factor) => this with
    {
        Additions = Additions.Select(a => a with { Coeff = a.Coeff * factor }).ToList(),
    };
}

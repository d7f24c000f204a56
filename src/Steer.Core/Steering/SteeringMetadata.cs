namespace Steer.Steering;

/// <summary>Where a steering vector came from: the model and the additions that built it.</summary>
public sealed record SteeringMetadata
{
    public string? Model { get; init; }

    /// <summary>The additions as built: a padded pair names the pad token it used, anything unpadded has none.</summary>
    public IReadOnlyList<Addition> Additions { get; init; } = [];

    internal SteeringMetadata Combine(SteeringMetadata other) => new()
    {
        Model = Model ?? other.Model,
        Additions = [.. Additions, .. other.Additions],
    };

    internal SteeringMetadata Scale(double factor) => this with
    {
        Additions = Additions.Select(a => a with { Coeff = a.Coeff * factor }).ToList(),
    };
}

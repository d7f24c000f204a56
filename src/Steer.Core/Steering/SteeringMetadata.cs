namespace Steer.Steering;

/// <summary>One activation addition a vector was built from, kept for provenance.</summary>
/// <param name="Plus">The added prompt.</param>
/// <param name="Minus">The subtracted prompt, or null for a single addition.</param>
/// <param name="PadId">The token that right-padded the shorter prompt of a pair, or null when unpadded.</param>
public sealed record AdditionInfo(string HookPoint, double Coeff, string? Plus, string? Minus, int? PadId);

/// <summary>Where a steering vector came from: the model and the additions that built it.</summary>
public sealed record SteeringMetadata
{
    public string? Model { get; init; }

    public IReadOnlyList<AdditionInfo> Additions { get; init; } = [];

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

using Steer.Steering;

namespace Steer.Cli.Commands.Shared;

/// <summary>The "steering" object of JSON outputs: what was added, where, and any adaptation made.</summary>
internal static class SteeringJson
{
    public static object? Describe(SteeringChoice choice) => choice.Vector is null ? null : new
    {
        recipe = choice.Recipe?.Name,
        additions = choice.Vector.Metadata.Additions.Select(a => new { hook_point = a.HookPoint, coeff = a.Coeff, plus = a.Plus, minus = a.Minus, pad_id = a.PadId }),
        positions = choice.Vector.Positions,
        hook_points = choice.Vector.Components.Select(c => c.HookPoint),
        location = choice.Options.Location.ToString().ToLowerInvariant(),
        short_prompt = choice.Options.ShortPrompt.ToString().ToLowerInvariant(),
        dims = choice.Options.Dimensions is { } d ? new[] { d.Start, d.End } : null,
        notes = choice.Notes.Count == 0 ? null : choice.Notes,
    };

    /// <summary>
    /// One line saying what was steered, for the head of a text table: each addition as c × ("plus" − "minus") at its
    /// hook point, or each component of a vector with no additions by its hook point and norm; and where it goes.
    /// </summary>
    public static string Summary(SteeringChoice choice)
    {
        if (choice.Vector is not { } vector) return "unsteered";
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        string Prompt(string? text, IReadOnlyList<int>? ids) => ids is not null ? $"[{string.Join(",", ids)}]" : $"\"{text}\"";
        var parts = vector.Metadata.Additions.Count > 0
            ? vector.Metadata.Additions.Select(a => string.Create(invariant,
                $"{a.Coeff:G4} × {(a.Minus is null && a.MinusIds is null ? Prompt(a.Plus, a.PlusIds) : $"({Prompt(a.Plus, a.PlusIds)} − {Prompt(a.Minus, a.MinusIds)})")} {Where(a)}"))
            : vector.Components.Select(c => string.Create(invariant, $"a vector at {c.HookPoint} (norm {c.Norm():G4})"));
        var positions = choice.Options.Positions?.ToString().ToLowerInvariant()
            ?? string.Join("/", vector.Components.Select(c => c.Mode.ToString().ToLowerInvariant()).Distinct());
        var recipe = choice.Recipe is { } r ? $"recipe {r.Name}: " : "";
        return $"steered: {recipe}{string.Join(" + ", parts)}; positions {positions}" +
            (choice.Options.Operator == SteeringOperator.Ablate ? ", ablated" : "") +
            (choice.Options.SkipSpecialTokens ? ", special tokens skipped" : "");
    }

    /// <summary>"at H", or for a transplant "recorded at A, rescaled, added at H".</summary>
    public static string Where(Addition addition) =>
        (addition.RecordHookPoint is { } record ? $"recorded at {record}{(addition.RescaleToHookPoint ? ", rescaled," : "")} added at " : "at ") + addition.HookPoint;

    public static void WriteNotes(TextWriter writer, SteeringChoice choice)
    {
        foreach (var note in choice.Notes) writer.WriteLine($"note: {note}");
    }
}

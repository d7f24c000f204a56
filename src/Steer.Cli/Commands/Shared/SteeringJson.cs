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

    public static void WriteNotes(TextWriter writer, SteeringChoice choice)
    {
        foreach (var note in choice.Notes) writer.WriteLine($"note: {note}");
    }
}

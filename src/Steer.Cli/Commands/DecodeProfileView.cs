using System.Globalization;
using Steer.Cli.Commands.Shared;
using Steer.Diagnostics;
using Steer.Runtime;

namespace Steer.Cli.Commands;

/// <summary><c>steer bench --profile</c>'s breakdown of a decoding step, as a table or as JSON.</summary>
internal static class DecodeProfileView
{
    private static readonly IReadOnlyDictionary<ProfiledOperation, string> Names = new Dictionary<ProfiledOperation, string>
    {
        [ProfiledOperation.WeightProducts] = "weight products",
        [ProfiledOperation.Logits] = "logits",
        [ProfiledOperation.Norms] = "norms",
        [ProfiledOperation.Attention] = "attention",
        [ProfiledOperation.CacheWrites] = "KV cache writes",
        [ProfiledOperation.Activation] = "activation",
        [ProfiledOperation.ResidualAdds] = "residual adds",
        [ProfiledOperation.Embedding] = "embedding",
    };

    /// <param name="weightBytes">What a step reads of the weights, for the products' achieved bandwidth.</param>
    public static void Write(TextWriter output, DecodeProfile profile, long weightBytes)
    {
        output.WriteLine($"decode step, batch 1, {profile.Steps} steps profiled: {Milliseconds(profile.StepSeconds)} ms");
        var rows = profile.SecondsPerStep
            .Select(o => (Name: Names[o.Key], Seconds: o.Value))
            .Append((Name: "other (sampling, allocation, views, dispatch)", Seconds: profile.OtherSeconds))
            .Select(r => (IReadOnlyList<string>)[r.Name, Milliseconds(r.Seconds), $"{100 * r.Seconds / profile.StepSeconds:F0}%"]);
        TextTable.Write(output, ["operation", "ms/step", "share"], rows);
        var productSeconds = profile.SecondsPerStep[ProfiledOperation.WeightProducts] + profile.SecondsPerStep[ProfiledOperation.Logits];
        if (productSeconds > 0)
            output.WriteLine($"weight products and logits read {weightBytes / 1e6:F0} MB a step at {weightBytes / productSeconds / 1e9:F1} GB/s");
    }

    public static object Json(DecodeProfile profile) => new
    {
        steps = profile.Steps,
        step_s = profile.StepSeconds,
        seconds_per_step = profile.SecondsPerStep
            .ToDictionary(o => Names[o.Key].Replace("KV ", "").Replace(' ', '_'), o => o.Value)
            .Append(new KeyValuePair<string, double>("other", profile.OtherSeconds))
            .ToDictionary(),
    };

    private static string Milliseconds(double seconds) => (1e3 * seconds).ToString("F3", CultureInfo.InvariantCulture);
}

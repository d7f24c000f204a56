using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>
/// Copies checkpoint tensors into a model's preallocated parameters after checking, before any data is
/// read, that the names and shapes match exactly. Tensors stream one by one, so the weights are never held
/// twice.
/// </summary>
internal static partial class WeightLoader
{
    private const string Prefix = "transformer.";

    /// <summary>Buffers Hugging Face writes that are not weights, and the unembedding tied to wte.</summary>
    [GeneratedRegex(@"^h\.\d+\.attn\.(bias|masked_bias)$|^lm_head\.weight$")]
    private static partial Regex Ignored();

    public static void Load(ITransformer model, IWeightSource source, string sourceName)
    {
        var stored = new Dictionary<string, string>(StringComparer.Ordinal); // model name -> stored name
        var unexpected = new List<string>();
        var expected = model.Weights().ToDictionary(w => w.Name, w => w.Tensor, StringComparer.Ordinal);
        foreach (var name in source.Names)
        {
            var bare = name.StartsWith(Prefix, StringComparison.Ordinal) ? name[Prefix.Length..] : name;
            if (Ignored().IsMatch(bare)) continue;
            if (!expected.ContainsKey(bare)) unexpected.Add(name);
            else if (!stored.TryAdd(bare, name))
                throw Invalid(sourceName, $"tensor '{bare}' is stored twice (as '{stored[bare]}' and '{name}')");
        }
        if (unexpected.Count > 0)
            throw Invalid(sourceName, $"unexpected tensor{Plural(unexpected)} {Quote(unexpected)}; this is not a GPT-2 checkpoint of the configured shape");
        var missing = expected.Keys.Where(n => !stored.ContainsKey(n)).ToList();
        if (missing.Count > 0)
            throw Invalid(sourceName, $"missing tensor{Plural(missing)} {Quote(missing)}");
        foreach (var (name, parameter) in expected)
        {
            var shape = source.ShapeOf(stored[name]);
            if (!shape.SequenceEqual(parameter.shape))
                throw Invalid(sourceName, $"tensor '{stored[name]}' has shape [{string.Join(", ", shape)}] but config.json implies [{string.Join(", ", parameter.shape)}]");
        }

        foreach (var (name, parameter) in expected)
            source.ReadInto(stored[name], parameter);
    }

    private static SteerException Invalid(string source, string message) => new(ErrorKind.InvalidModel, $"{source}: {message}");

    private static string Plural(List<string> names) => names.Count == 1 ? "" : "s";

    private static string Quote(List<string> names) =>
        string.Join(", ", names.Take(8).Select(n => $"'{n}'")) + (names.Count > 8 ? $" and {names.Count - 8} more" : "");
}

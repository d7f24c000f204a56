namespace Steer.Models;

/// <summary>
/// Copies checkpoint tensors into a model's preallocated parameters after checking, before any data is
/// read, that the names and shapes match exactly. Tensors stream one by one, so the weights are never held
/// twice. The checkpoint prefix and the stored tensors to skip come from the architecture.
/// </summary>
internal static class WeightLoader
{
    /// <param name="loaded">Called with each parameter's name right after it is filled (int8 quantizes it there).</param>
    public static void Load(IArchitecture architecture, IModelConfig config, ITransformer model, IWeightSource source, string sourceName,
        Action<string>? loaded = null)
    {
        var prefix = architecture.CheckpointPrefix;
        var stored = new Dictionary<string, string>(StringComparer.Ordinal); // model name -> stored name
        var unexpected = new List<string>();
        var expected = model.Weights().ToDictionary(w => w.Name, w => w.Tensor, StringComparer.Ordinal);
        var aliases = architecture.StoredAliases(config);
        var storedAsAlias = new Dictionary<string, string>(StringComparer.Ordinal); // model name -> stored alias
        foreach (var name in source.Names)
        {
            var bare = prefix.Length > 0 && name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;
            if (architecture.IgnoredKeys.IsMatch(bare)) continue;
            if (expected.ContainsKey(bare))
            {
                if (!stored.TryAdd(bare, name))
                    throw Invalid(sourceName, $"tensor '{bare}' is stored twice (as '{stored[bare]}' and '{name}')");
            }
            else if (aliases.TryGetValue(bare, out var target) && expected.ContainsKey(target)) storedAsAlias[target] = name;
            else unexpected.Add(name);
        }
        // A parameter stored under its own name wins over an alias (a tied file holding both matrices).
        foreach (var (target, name) in storedAsAlias) stored.TryAdd(target, name);
        if (unexpected.Count > 0)
            throw Invalid(sourceName, $"unexpected tensor{Plural(unexpected)} {Quote(unexpected)}; this is not a {architecture.Name} checkpoint of the configured shape");
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
        {
            source.ReadInto(stored[name], parameter);
            loaded?.Invoke(name);
        }
    }

    private static SteerException Invalid(string source, string message) => new(ErrorKind.InvalidModel, $"{source}: {message}");

    private static string Plural(List<string> names) => names.Count == 1 ? "" : "s";

    private static string Quote(List<string> names) =>
        string.Join(", ", names.Take(8).Select(n => $"'{n}'")) + (names.Count > 8 ? $" and {names.Count - 8} more" : "");
}

using System.Text.Json;
using Steer.Architectures;
using Steer.Models;
using Steer.Models.Gpt2;

namespace Steer.Tests;

/// <summary>The formula-built reference models of TestData/formula-*.json.</summary>
internal static class GoldenModels
{
    public static Gpt2Config ConfigOf(JsonElement model) => new()
    {
        VocabSize = model.GetProperty("vocab").GetInt32(),
        ContextLength = model.GetProperty("n_positions").GetInt32(),
        ModelDim = model.GetProperty("n_embd").GetInt32(),
        Layers = model.GetProperty("n_layer").GetInt32(),
        Heads = model.GetProperty("n_head").GetInt32(),
        TorchDType = model.GetProperty("file_dtype").GetString() == "BF16" ? "bfloat16" : "float32",
    };

    public static ulong SeedOf(JsonElement model) => model.GetProperty("seed").GetUInt64();

    /// <summary>
    /// Writes the golden model as a real Hugging Face directory (config.json + model.safetensors in the file dtype
    /// the reference used) and loads it through the public path.
    /// </summary>
    public static LanguageModel Load(string goldenFile, ModelOptions? options = null)
    {
        using var doc = TestData.Json(goldenFile);
        var model = doc.RootElement.GetProperty("model");
        var directory = Path.Combine(Path.GetTempPath(), $"steer-golden-{Guid.NewGuid():N}");
        try
        {
            FormulaModel.Write(directory, ConfigOf(model), SeedOf(model), model.GetProperty("file_dtype").GetString()!);
            return LanguageModel.Load(directory, options);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

/// <summary>One golden case, with typed accessors.</summary>
internal sealed record GoldenCase(string File, JsonElement Json)
{
    public string Name => Json.GetProperty("name").GetString()!;
    public string Op => Json.GetProperty("op").GetString()!;
    public int[] Ids => Ints("ids");
    public int[] Ints(string property) => Json.GetProperty(property).EnumerateArray().Select(e => e.GetInt32()).ToArray();
    public double[] Doubles(string property) => Json.GetProperty(property).EnumerateArray().Select(e => e.GetDouble()).ToArray();
    public override string ToString() => $"{File}:{Name}";

    public static IEnumerable<object[]> All(string op)
    {
        foreach (var file in new[] { "formula-g1.json", "formula-g2.json" })
        {
            var doc = TestData.Json(file);
            foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
                if (c.GetProperty("op").GetString() == op)
                    yield return [new GoldenCase(file, c.Clone())];
        }
    }
}

/// <summary>Loads each golden model once per test class.</summary>
public sealed class GoldenModelFixture : IDisposable
{
    private readonly Dictionary<string, LanguageModel> _models = new();

    internal LanguageModel this[string file]
    {
        get
        {
            lock (_models)
            {
                if (!_models.TryGetValue(file, out var model)) _models[file] = model = GoldenModels.Load(file);
                return model;
            }
        }
    }

    public void Dispose()
    {
        foreach (var model in _models.Values) model.Dispose();
    }
}

using System.Text.Json;
using Steer.Architectures;
using Steer.Models;
using Steer.Models.Gpt2;

namespace Steer.Tests;

/// <summary>The formula-built reference models of TestData/formula-*.json.</summary>
internal static class GoldenModels
{
    /// <summary>Every golden file, GPT-2 and Llama-family.</summary>
    public static readonly string[] Files =
        ["formula-g1.json", "formula-g2.json", "llama-l1.json", "llama-l2.json", "mistral-m1.json", "qwen2-q1.json", "qwen3-q3.json"];

    /// <summary>The config a golden model describes: a Llama-family file carries its config.json whole.</summary>
    public static IModelConfig AnyConfigOf(JsonElement model) =>
        model.TryGetProperty("config", out var config) ? ParseConfig(config) : ConfigOf(model);

    /// <summary>Reads a config.json's JSON through the registry, as loading a model directory does.</summary>
    public static IModelConfig ParseConfig(JsonElement config)
    {
        var path = Path.Combine(Path.GetTempPath(), $"steer-config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, config.GetRawText());
        try
        {
            return ModelRegistry.Read(path).Config;
        }
        finally
        {
            File.Delete(path);
        }
    }

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
    /// Writes the golden model's files as a Hugging Face directory: model.safetensors in the file dtype the reference
    /// used, and config.json (for a Llama-family file, its own config.json text, exactly as given).
    /// </summary>
    public static void Write(string directory, JsonElement model)
    {
        FormulaModel.Write(directory, AnyConfigOf(model), SeedOf(model), model.GetProperty("file_dtype").GetString()!);
        if (model.TryGetProperty("config", out var config))
            File.WriteAllText(Path.Combine(directory, "config.json"), config.GetRawText());
    }

    /// <summary>
    /// Writes the golden model as a real Hugging Face directory and loads it through the public path, in float32
    /// unless <paramref name="options"/> say otherwise (the references are float64 computations on the file's values).
    /// </summary>
    public static LanguageModel Load(string goldenFile, ModelOptions? options = null)
    {
        using var doc = TestData.Json(goldenFile);
        var model = doc.RootElement.GetProperty("model");
        var directory = Path.Combine(Path.GetTempPath(), $"steer-golden-{Guid.NewGuid():N}");
        try
        {
            Write(directory, model);
            return LanguageModel.Load(directory, options ?? new ModelOptions { DType = "float32" });
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
        foreach (var file in GoldenModels.Files)
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

using System.Text.Json;
using Steer.Architectures;
using Steer.Models;

namespace Steer.Tests.Conformance;

/// <summary>One architecture's golden model as the conformance suite uses it.</summary>
internal sealed record ConformanceModel(IArchitecture Architecture, IModelConfig Config, LanguageModel Model, JsonElement Golden);

/// <summary>
/// Each registered architecture's golden model, written to a temporary directory by the architecture's own
/// formula writer and loaded back through <see cref="LanguageModel.Load(string, ModelOptions?)"/> once per test class.
/// </summary>
public sealed class ArchitectureModels : IDisposable
{
    private readonly Dictionary<string, ConformanceModel> _models = new(StringComparer.Ordinal);

    internal ConformanceModel this[string modelType]
    {
        get
        {
            lock (_models)
            {
                if (!_models.TryGetValue(modelType, out var model)) _models[modelType] = model = Load(modelType);
                return model;
            }
        }
    }

    private static ConformanceModel Load(string modelType)
    {
        var data = ArchitectureTestData.For(modelType);
        using var doc = TestData.Json(data.GoldenFile);
        var golden = doc.RootElement.Clone();
        var description = golden.GetProperty("model");
        var config = data.ConfigOf(description);
        var directory = Path.Combine(Path.GetTempPath(), $"steer-conformance-{Guid.NewGuid():N}");
        try
        {
            FormulaModel.Write(directory, config, GoldenModels.SeedOf(description), description.GetProperty("file_dtype").GetString()!);
            var model = LanguageModel.Load(directory);
            return new ConformanceModel(ModelRegistry.Architectures[modelType], config, model, golden);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    public void Dispose()
    {
        foreach (var model in _models.Values) model.Model.Dispose();
    }
}

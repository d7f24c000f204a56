using Steer.Architectures;
using Steer.Models;
using Steer.Models.Gpt2;

namespace Steer.Server.Tests.Infrastructure;

/// <summary>
/// A small formula GPT-2 written as a real model directory (2 layers, d_model 64, 4 heads) with a context of 1024,
/// long enough that a generation can be cancelled halfway. Deleted on dispose.
/// </summary>
public sealed class TestModel : IDisposable
{
    public static readonly Gpt2Config Config = new() { Layers = 2, Heads = 4, ModelDim = 64, ContextLength = 1024 };

    /// <summary>xunit builds class fixtures through a parameterless constructor.</summary>
    public TestModel() : this(Config)
    {
    }

    /// <param name="config">The shape to write.</param>
    internal TestModel(IModelConfig config)
    {
        Directory.CreateDirectory(Path);
        FormulaModel.Write(Path, config, seed: 1);
    }

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "steer-server-tests-" + Guid.NewGuid().ToString("N"));

    public LanguageModel Load() => LanguageModel.Load(Path);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

using Steer.Architectures;
using Steer.Models;
using Steer.Models.Gpt2;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>
/// A formula model in the shape of TestData/formula-g1.json (2 layers, d_model 64, 4 heads, context 64), written
/// once per test class as a real model directory, and the same directory loaded through the library for reference.
/// </summary>
public sealed class CliModelFixture : IDisposable
{
    internal static readonly Gpt2Config Config = new() { Layers = 2, Heads = 4, ModelDim = 64, ContextLength = 64 };
    internal const ulong Seed = 1;

    private readonly TempDirectory _directory = new();

    public CliModelFixture()
    {
        FormulaModel.Write(_directory.Path, Config, Seed);
        Model = LanguageModel.Load(_directory.Path);
    }

    public string Directory => _directory.Path;

    internal LanguageModel Model { get; }

    public void Dispose()
    {
        Model.Dispose();
        _directory.Dispose();
    }
}

using System.Text.Json;
using Steer.Cli;
using Steer.Models.Gpt2;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>What one in-process run of <c>steer</c> printed and returned.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Output);
        return document.RootElement.Clone();
    }

    /// <summary>A failed run: the exit code, nothing on stdout, and a message (without a stack trace) on stderr.</summary>
    public void ShouldFailWith(int exitCode, params string[] messageParts)
    {
        ExitCode.ShouldBe(exitCode, $"stderr: {Error}");
        Output.ShouldBeEmpty();
        foreach (var part in messageParts) Error.ShouldContain(part, Case.Sensitive);
        Error.ShouldNotContain("   at ");
    }
}

internal static class Cli
{
    /// <summary>Runs <c>steer args</c> in-process with captured output.</summary>
    public static CliResult Run(params string[] args) => Run(errorIsTerminal: false, args);

    /// <summary>Runs <c>steer args</c> as if stderr were a terminal, where downloads show a progress bar.</summary>
    public static CliResult RunOnTerminal(params string[] args) => Run(errorIsTerminal: true, args);

    private static CliResult Run(bool errorIsTerminal, string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = SteerCli.Run(args, new CliContext(output, error, ErrorIsTerminal: errorIsTerminal));
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    public static int[] Ints(this JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public static double[] Doubles(this JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    public static string[] Strings(this JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();
}

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

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

    /// <summary>Runs <c>steer args</c> reading <paramref name="input"/> as its standard input (redirected, not a terminal).</summary>
    public static CliResult RunWithInput(string input, params string[] args) => Run(errorIsTerminal: false, args, input);

    private static CliResult Run(bool errorIsTerminal, string[] args, string? input = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var reader = input is null ? null : new StringReader(input);
        var exitCode = SteerCli.Run(args, new CliContext(output, error, ErrorIsTerminal: errorIsTerminal, Input: reader));
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }
}

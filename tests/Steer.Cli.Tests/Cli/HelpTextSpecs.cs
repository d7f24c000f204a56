namespace Steer.Tests.Cli;

/// <summary>Every command's --help says each option's default once: the parser's "[default: x]" or the description's words.</summary>
public sealed class HelpTextSpecs
{
    public static TheoryData<string> Commands() =>
    [
        "tokenize", "generate", "compare", "score", "vector", "vector inspect", "cache", "eval", "eval perplexity", "eval kl",
        "eval tokens", "eval wordcount", "eval norms", "eval cloze", "sweep", "recipes", "recipes list", "recipes show", "recipes run",
        "inspect", "template", "chat", "download", "bench", "debug", "debug make-model", "serve",
    ];

    [Theory]
    [MemberData(nameof(Commands))]
    public void No_option_states_its_default_twice(string command)
    {
        // Act
        var result = Cli.Run([.. command.Split(' '), "--help"]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var lines = result.Output.Split('\n');
        lines.ShouldNotBeEmpty();
        lines.Where(line => line.Contains("[default:", StringComparison.Ordinal))
            .ShouldAllBe(line => !line.Replace("[default:", "", StringComparison.Ordinal).Contains("default", StringComparison.OrdinalIgnoreCase));
    }
}

using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>An output path that cannot be written is refused before any work, with one line and exit 2.</summary>
public sealed class OutputPathSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>A file where a directory is wanted.</summary>
    private string ExistingFile
    {
        get
        {
            _directory.Write("taken.txt", "not a directory");
            return _directory.File("taken.txt");
        }
    }

    private string[] Command(string command, string output) => command switch
    {
        "vector" => ["vector", "--model", fixture.Directory, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--out", output],
        "make-model" => ["debug", "make-model", "--out", output],
        "sweep" => ["sweep", "--model", fixture.Directory, "--layers", "0..1", "--coeffs", "0,1", "--metric", "kl", "--out", output],
        "eval kl" => ["eval", "kl", "--model", fixture.Directory, "--recipe", "love-hate", "--plot", output],
        "eval tokens" => ["eval", "tokens", "--model", fixture.Directory, "--text", "I hate you because you are", "--recipe", "love-hate", "--html", output],
        _ => throw new ArgumentOutOfRangeException(nameof(command)),
    };

    [Theory]
    [InlineData("make-model")]
    [InlineData("sweep")]
    public void A_file_where_an_output_directory_is_wanted_exits_with_2_before_any_work(string command)
    {
        // Act
        var result = Cli.Run(Command(command, ExistingFile));

        // Assert
        result.ShouldFailWith(2, $"steer: error: --out '{ExistingFile}' is a file; give a directory");
        Directory.GetFileSystemEntries(_directory.Path).Select(Path.GetFileName).ShouldBe(["taken.txt"]);
    }

    [Theory]
    [InlineData("vector", "--out", "v.safetensors")]
    [InlineData("make-model", "--out", "model")]
    [InlineData("sweep", "--out", "results")]
    [InlineData("eval kl", "--plot", "kl.svg")]
    [InlineData("eval tokens", "--html", "tokens.html")]
    public void A_path_under_a_file_exits_with_2_and_names_the_file(string command, string option, string name)
    {
        // Arrange
        var output = Path.Combine(ExistingFile, name);

        // Act
        var result = Cli.Run(Command(command, output));

        // Assert
        result.ShouldFailWith(2, $"steer: error: {option} '{output}' cannot be written: '{ExistingFile}' is a file, not a directory");
    }

    [Fact]
    public void Make_model_creates_missing_parent_directories()
    {
        // Arrange
        var output = Path.Combine(_directory.Path, "a", "b", "model");

        // Act
        var result = Cli.Run(Command("make-model", output));

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        File.Exists(Path.Combine(output, "config.json")).ShouldBeTrue();
    }

    [Fact]
    public void A_directory_where_a_vector_file_is_wanted_exits_with_2()
    {
        // Act
        var result = Cli.Run(Command("vector", _directory.Path));

        // Assert
        result.ShouldFailWith(2, $"steer: error: --out '{_directory.Path}' is a directory; give a file name");
    }
}

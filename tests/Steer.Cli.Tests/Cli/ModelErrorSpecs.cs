using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>
/// A model that is missing (3), malformed or refused (4), or that the machine cannot run (5) gives that exit code,
/// a specific message on stderr and nothing on stdout.
/// </summary>
public sealed class ModelErrorSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    [Theory]
    [InlineData("generate", "--prompt")]
    [InlineData("score", "--text")]
    [InlineData("inspect", null)]
    public void A_model_directory_that_does_not_exist_exits_with_3(string command, string? input)
    {
        // Act
        var result = Cli.Run(input is null
            ? [command, "--model", "/nonexistent/dir"]
            : [command, "--model", "/nonexistent/dir", input, "Hi there"]);

        // Assert
        result.ShouldFailWith(3, "Model path '/nonexistent/dir' does not exist.");
    }

    [Fact]
    public void A_directory_without_config_json_exits_with_3()
    {
        // Arrange
        using var directory = new TempDirectory();
        File.Copy(Path.Combine(fixture.Directory, "model.safetensors"), directory.File("model.safetensors"));

        // Act
        var result = Cli.Run("inspect", "--model", directory.Path);

        // Assert
        result.ShouldFailWith(3, "has no config.json");
    }

    [Fact]
    public void A_directory_with_only_a_pytorch_checkpoint_exits_with_4_and_says_to_convert_to_safetensors()
    {
        // Arrange
        using var directory = new TempDirectory();
        directory.Write("config.json", File.ReadAllText(Path.Combine(fixture.Directory, "config.json")));
        directory.Write("pytorch_model.bin", "not really a pickle");

        // Act
        var result = Cli.Run("generate", "--model", directory.Path, "--prompt", "Hi");

        // Assert
        result.ShouldFailWith(4, "pytorch_model.bin' is a PyTorch pickle checkpoint", "Steer never unpickles", "safetensors");
    }

    [Fact]
    public void A_truncated_model_safetensors_exits_with_4()
    {
        // Arrange
        using var directory = new TempDirectory();
        File.Copy(Path.Combine(fixture.Directory, "config.json"), directory.File("config.json"));
        var bytes = File.ReadAllBytes(Path.Combine(fixture.Directory, "model.safetensors"));
        File.WriteAllBytes(directory.File("model.safetensors"), bytes[..(bytes.Length / 2)]);

        // Act
        var result = Cli.Run("score", "--model", directory.Path, "--text", "Hi there");

        // Assert
        result.ShouldFailWith(4, "model.safetensors");
        result.Error.ShouldContain("truncated", Case.Insensitive);
    }

    [Fact]
    public void A_config_json_that_is_not_json_exits_with_4()
    {
        // Arrange
        using var directory = new TempDirectory();
        directory.Write("config.json", "{ n_layer: ");
        File.Copy(Path.Combine(fixture.Directory, "model.safetensors"), directory.File("model.safetensors"));

        // Act
        var result = Cli.Run("inspect", "--model", directory.Path);

        // Assert
        result.ShouldFailWith(4, "config.json: not valid JSON");
    }

    [Theory]
    [InlineData("n_layer", "\"two\"", "a whole number")]
    [InlineData("n_embd", "64.5", "a whole number")]
    [InlineData("layer_norm_epsilon", "\"small\"", "a number")]
    [InlineData("activation_function", "1", "a string")]
    public void A_gpt2_config_field_of_the_wrong_type_exits_with_4_and_says_what_it_must_be(string field, string value, string expected)
    {
        // Arrange
        using var directory = new TempDirectory();
        directory.Write("config.json", $$"""{"model_type": "gpt2", "{{field}}": {{value}}}""");
        File.Copy(Path.Combine(fixture.Directory, "model.safetensors"), directory.File("model.safetensors"));

        // Act
        var result = Cli.Run("inspect", "--model", directory.Path);

        // Assert
        result.ShouldFailWith(4, $"config.json: {field} must be {expected}, got {value}");
        result.Error.ShouldNotContain("System.");
    }

    [Fact]
    public void Device_cuda_on_a_machine_without_cuda_exits_with_5_and_says_so()
    {
        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--prompt", "Hi", "--device", "cuda");

        // Assert
        result.ShouldFailWith(5, "--device cuda: CUDA is not available");
    }
}

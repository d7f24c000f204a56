using System.Text.Json;
using Steer.Models.Gpt2;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

public sealed class DebugCommandSpecs
{
    private static readonly int[] Ids = [50256, 40, 5465, 345, 780];

    [Fact]
    public void Make_model_writes_a_config_and_safetensors_that_load_as_the_formula_model()
    {
        // Arrange
        using var directory = new TempDirectory();
        var output = directory.File("tiny");

        // Act
        var result = Cli.Run("debug", "make-model", "--seed", "1", "--shape", "tiny", "--out", output);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldStartWith($"wrote {Path.Combine(output, "config.json")} and model.safetensors");
        Directory.GetFiles(output).Select(Path.GetFileName).Order().ShouldBe(["config.json", "model.safetensors"]);
        using var loaded = LanguageModel.Load(output);
        loaded.Shape.ShouldBe(new Steer.Models.ModelShape(2, 64, 4, 50257, 128));
        using var reference = LanguageModel.FromFormula(Gpt2Config.Tiny, seed: 1);
        using var actual = loaded.Logits(Ids);
        using var expected = reference.Logits(Ids);
        actual.ShouldBeBitIdenticalTo(expected);
    }

    [Fact]
    public void Make_model_applies_the_shape_overrides_to_the_written_config()
    {
        // Arrange
        using var directory = new TempDirectory();

        // Act
        var result = Cli.Run("debug", "make-model", "--shape", "tiny", "--layers", "1", "--heads", "2", "--context", "32", "--out", directory.Path);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        using var config = JsonDocument.Parse(File.ReadAllText(directory.File("config.json")));
        config.RootElement.GetProperty("n_layer").GetInt32().ShouldBe(1);
        config.RootElement.GetProperty("n_head").GetInt32().ShouldBe(2);
        config.RootElement.GetProperty("n_positions").GetInt32().ShouldBe(32);
        using var loaded = LanguageModel.Load(directory.Path);
        loaded.Shape.ShouldBe(new Steer.Models.ModelShape(1, 64, 2, 50257, 32));
    }

    [Fact]
    public void Make_model_with_an_unknown_shape_is_a_usage_error()
    {
        // Arrange
        using var directory = new TempDirectory();

        // Act
        var result = Cli.Run("debug", "make-model", "--shape", "huge", "--out", directory.Path);

        // Assert
        result.ShouldFailWith(2, "unknown shape 'huge'");
    }

    [Fact]
    public void Make_model_without_out_is_a_usage_error()
    {
        // Act
        var result = Cli.Run("debug", "make-model", "--shape", "tiny");

        // Assert
        result.ShouldFailWith(2, "--out");
    }
}

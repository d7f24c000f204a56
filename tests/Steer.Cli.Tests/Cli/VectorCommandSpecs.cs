using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>steer vector saves the library's vector with its provenance, and --vector steers with it again.</summary>
public sealed class VectorCommandSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>, IDisposable
{
    private const string Prompt = "I hate you because";
    private readonly TempDirectory _directory = new();
    private LanguageModel Model => fixture.Model;

    private string VectorPath => _directory.File("love-hate.safetensors");

    private CliResult SaveLoveHate(params string[] args) =>
        Cli.Run(["vector", "--model", fixture.Directory, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--out", VectorPath, .. args]);

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Vector_writes_exactly_the_library_pair_vector()
    {
        // Act
        var result = SaveLoveHate();

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        File.Exists(VectorPath).ShouldBeTrue();
        SteeringVectorFile.Load(VectorPath).ApproximatelyEquals(ActAdd.Pair(Model, "Love", "Hate", 1, 5), 0).ShouldBeTrue();
    }

    [Fact]
    public void Vector_metadata_has_the_prompts_the_coefficient_the_pad_id_and_the_model()
    {
        // Act
        var result = SaveLoveHate();

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var metadata = SteeringVectorFile.Load(VectorPath).Metadata;
        metadata.Model.ShouldBe(Model.Name);
        metadata.Additions.ShouldHaveSingleItem().ShouldBe(new Addition { Plus = "Love", Minus = "Hate", HookPoint = "blocks.1.hook_resid_pre", Coeff = 5, PadId = 220 });
    }

    [Fact]
    public void Vector_prints_the_path_and_the_norm_of_each_position()
    {
        // Arrange
        var norms = ActAdd.Pair(Model, "Love", "Hate", 1, 5).Components.Single().PositionNorms();

        // Act
        var result = SaveLoveHate();

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldStartWith($"wrote {VectorPath}");
        result.Output.ShouldContain($"blocks.1.hook_resid_pre: 3 positions, norms {string.Join(", ", norms.Select(n => n.ToString("G5")))}");
    }

    [Fact]
    public void Vector_json_gives_the_path_the_steering_and_the_position_norms()
    {
        // Arrange
        var norms = ActAdd.Pair(Model, "Love", "Hate", 1, 5).Components.Single().PositionNorms();

        // Act
        var result = SaveLoveHate("--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("path").GetString().ShouldBe(VectorPath);
        json.GetProperty("steering").GetProperty("additions")[0].GetProperty("minus").GetString().ShouldBe("Hate");
        json.GetProperty("position_norms").GetProperty("blocks.1.hook_resid_pre").Doubles().ShouldBe(norms);
        norms[0].ShouldBe(0);   // BOS minus BOS
    }

    [Fact]
    public void Generate_with_the_saved_vector_gives_the_same_ids_as_with_the_pair_options()
    {
        // Arrange
        SaveLoveHate().ExitCode.ShouldBe(0);
        string[] common = ["generate", "--model", fixture.Directory, "--prompt", Prompt, "--temperature", "0", "--max-new-tokens", "10", "--json"];

        // Act
        var fromFile = Cli.Run([.. common, "--vector", VectorPath]);
        var fromPair = Cli.Run([.. common, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5"]);

        // Assert
        fromFile.ExitCode.ShouldBe(0, fromFile.Error);
        fromPair.ExitCode.ShouldBe(0, fromPair.Error);
        fromFile.Json().GetProperty("completions")[0].GetProperty("ids").Ints()
            .ShouldBe(fromPair.Json().GetProperty("completions")[0].GetProperty("ids").Ints());
    }

    [Fact]
    public void Score_with_the_saved_vector_gives_the_library_token_logprobs()
    {
        // Arrange
        SaveLoveHate().ExitCode.ShouldBe(0);
        var expected = Model.Score(Model.Tokenizer.Encode(Prompt), ActAdd.Pair(Model, "Love", "Hate", 1, 5));

        // Act
        var result = Cli.Run("score", "--model", fixture.Directory, "--text", Prompt, "--vector", VectorPath, "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Json().GetProperty("token_logprobs").Doubles().ShouldBe(expected.TokenLogprobs.ToArray());
    }

    [Fact]
    public void Vector_without_steering_exits_with_2()
    {
        // Act
        var result = Cli.Run("vector", "--model", fixture.Directory, "--out", VectorPath);

        // Assert
        result.ShouldFailWith(2, "nothing to save");
        File.Exists(VectorPath).ShouldBeFalse();
    }

    [Fact]
    public void A_vector_file_that_does_not_exist_exits_with_3()
    {
        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--prompt", Prompt, "--vector", "/nonexistent.safetensors");

        // Assert
        result.ShouldFailWith(3, "/nonexistent.safetensors: no such steering vector file");
    }

    [Fact]
    public void A_model_safetensors_given_as_a_vector_exits_with_4()
    {
        // Arrange
        var weights = Path.Combine(fixture.Directory, "model.safetensors");

        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--prompt", Prompt, "--vector", weights);

        // Assert
        result.ShouldFailWith(4, $"{weights}: not a Steer steering vector");
    }

    [Fact]
    public void A_vector_of_another_width_exits_with_2()
    {
        // Arrange: a vector saved from a model with d_model 32.
        using var other = LanguageModel.FromFormula(CliModelFixture.Config with { ModelDim = 32 }, CliModelFixture.Seed);
        SteeringVectorFile.Save(ActAdd.Pair(other, "Love", "Hate", 1, 5), VectorPath);

        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--prompt", Prompt, "--vector", VectorPath);

        // Assert
        result.ShouldFailWith(2, "32 wide", "d_model is 64");
    }

    [Fact]
    public void A_vector_made_for_another_model_names_both_models()
    {
        // Arrange: a vector at block 3 of a 4-layer model, which the 2-layer model does not have.
        var otherDirectory = _directory.File("four-layers");
        Cli.Run("debug", "make-model", "--layers", "4", "--out", otherDirectory).ExitCode.ShouldBe(0);
        Cli.Run("vector", "--model", otherDirectory, "--plus", "Love", "--minus", "Hate", "--layer", "3", "--coeff", "5", "--out", VectorPath)
            .ExitCode.ShouldBe(0);
        using var other = LanguageModel.Load(otherDirectory);

        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--prompt", Prompt, "--vector", VectorPath);

        // Assert
        result.ShouldFailWith(2, $"the steering vector was made for {other.Name}, but the model is {Model.Name}",
            "unknown hook point 'blocks.3.hook_resid_pre'");
    }

    [Fact]
    public void Vector_creates_the_missing_directories_of_its_output_path()
    {
        // Arrange
        var nested = Path.Combine(_directory.Path, "no", "such", "dir", "v.safetensors");

        // Act
        var result = Cli.Run("vector", "--model", fixture.Directory, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--out", nested);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        File.Exists(nested).ShouldBeTrue();
    }
}

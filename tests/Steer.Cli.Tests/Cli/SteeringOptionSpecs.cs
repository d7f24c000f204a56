using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>
/// The steering options build the vectors of the library (checked through the file 'steer vector' writes, which
/// shares the options with generate, score and compare) and place them as the library does.
/// </summary>
public sealed class SteeringOptionSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private const string Prompt = "I hate you because";
    private const string Conspiracy = "Bush did 9/11 because";
    private LanguageModel Model => fixture.Model;

    /// <summary>Runs 'steer vector' with the steering options and loads what it wrote.</summary>
    private SteeringVector SavedVector(params string[] steering)
    {
        using var directory = new TempDirectory();
        var path = directory.File("v.safetensors");
        var result = Cli.Run(["vector", "--model", fixture.Directory, "--out", path, .. steering]);
        result.ExitCode.ShouldBe(0, result.Error);
        return SteeringVectorFile.Load(path);
    }

    private double[] ScoredLogprobs(params string[] steering)
    {
        var result = Cli.Run(["score", "--model", fixture.Directory, "--text", Prompt, "--json", .. steering]);
        result.ExitCode.ShouldBe(0, result.Error);
        return result.Json().GetProperty("token_logprobs").Doubles();
    }

    [Fact]
    public void An_empty_minus_is_bos_alone_padded_with_spaces()
    {
        // Arrange
        var expected = ActAdd.Pair(Model, Conspiracy, "", 1, 2);

        // Act
        var vector = SavedVector("--plus", Conspiracy, "--minus", "", "--layer", "1", "--coeff", "2");

        // Assert
        vector.ApproximatelyEquals(expected, 0).ShouldBeTrue();
        vector.Positions.ShouldBe(Model.Tokenizer.Encode(Conspiracy).Count);
        var addition = vector.Metadata.Additions.ShouldHaveSingleItem();
        addition.Minus.ShouldBe("");
        addition.PadId.ShouldBe(220);
    }

    [Fact]
    public void An_empty_minus_steers_score_as_the_library_pair_with_an_empty_prompt()
    {
        // Arrange
        var expected = Model.Score(Model.Tokenizer.Encode(Prompt), ActAdd.Pair(Model, "Love", "", 1, 4));

        // Act
        var logprobs = ScoredLogprobs("--plus", "Love", "--minus", "", "--layer", "1", "--coeff", "4");

        // Assert
        logprobs.ShouldBe(expected.TokenLogprobs.ToArray());
    }

    [Fact]
    public void Omitting_minus_is_a_single_addition()
    {
        // Arrange
        var expected = ActAdd.Single(Model, Conspiracy, 1, 2);

        // Act
        var vector = SavedVector("--plus", Conspiracy, "--layer", "1", "--coeff", "2");

        // Assert
        vector.ApproximatelyEquals(expected, 0).ShouldBeTrue();
        vector.ApproximatelyEquals(ActAdd.Pair(Model, Conspiracy, "", 1, 2), 1e-3).ShouldBeFalse();
        var addition = vector.Metadata.Additions.ShouldHaveSingleItem();
        addition.Minus.ShouldBeNull();
        addition.PadId.ShouldBeNull();
    }

    [Fact]
    public void Pad_id_50256_pads_the_shorter_prompt_with_end_of_text_instead_of_spaces()
    {
        // Arrange
        var expected = ActAdd.Pair(Model, Conspiracy, "", 1, 2, padId: 50256);

        // Act
        var vector = SavedVector("--plus", Conspiracy, "--minus", "", "--layer", "1", "--coeff", "2", "--pad-id", "50256");

        // Assert
        vector.ApproximatelyEquals(expected, 0).ShouldBeTrue();
        vector.ApproximatelyEquals(ActAdd.Pair(Model, Conspiracy, "", 1, 2), 1e-3).ShouldBeFalse();
        vector.Metadata.Additions.ShouldHaveSingleItem().PadId.ShouldBe(50256);
    }

    [Fact]
    public void Repeated_add_options_sum_single_additions_without_padding()
    {
        // Arrange: "Love" is one token and "Hate" two, so padding would change the third position.
        var expected = ActAdd.Single(Model, "Love", 1, 5) + ActAdd.Single(Model, "Hate", 1, -5);

        // Act
        var vector = SavedVector("--add", "Love:5@1", "--add", "Hate:-5@1");

        // Assert
        vector.ApproximatelyEquals(expected, 0).ShouldBeTrue();
        vector.ApproximatelyEquals(ActAdd.Pair(Model, "Love", "Hate", 1, 5), 1e-3).ShouldBeFalse();
        vector.Metadata.Additions.Select(a => (a.Plus, a.Coeff, a.PadId)).ShouldBe([("Love", 5.0, (int?)null), ("Hate", -5.0, null)]);
    }

    [Fact]
    public void Additions_at_different_layers_keep_one_component_per_hook_point()
    {
        // Arrange
        var expected = ActAdd.Pair(Model, "Love", "Hate", 1, 5) + ActAdd.Single(Model, " wedding", 0, 3);

        // Act
        var vector = SavedVector("--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--add", " wedding:3@0");

        // Assert
        vector.ApproximatelyEquals(expected, 0).ShouldBeTrue();
        vector.Components.Select(c => c.HookPoint).Order().ShouldBe(["blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre"]);
    }

    [Theory]
    [InlineData("front", InjectionLocation.Front)]
    [InlineData("mid", InjectionLocation.Mid)]
    [InlineData("back", InjectionLocation.Back)]
    public void Location_places_the_vector_as_the_library_does(string location, InjectionLocation expected)
    {
        // Arrange
        var vector = ActAdd.Pair(Model, "Love", "Hate", 1, 5);
        var library = Model.Score(Model.Tokenizer.Encode(Prompt), vector, new SteeringOptions { Location = expected });

        // Act
        var logprobs = ScoredLogprobs("--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--location", location);

        // Assert
        logprobs.ShouldBe(library.TokenLogprobs.ToArray());
    }

    [Fact]
    public void Location_back_changes_the_result_from_front()
    {
        // Act
        var front = ScoredLogprobs("--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5");
        var back = ScoredLogprobs("--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--location", "back");

        // Assert
        back.ShouldNotBe(front);
    }

    [Fact]
    public void Dims_steer_only_that_slice_of_the_residual_stream_as_the_library_does()
    {
        // Arrange
        var vector = ActAdd.Pair(Model, "Love", "Hate", 1, 5);
        var library = Model.Score(Model.Tokenizer.Encode(Prompt), vector, new SteeringOptions { Dimensions = (0, 16) });

        // Act
        var sliced = ScoredLogprobs("--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--dims", "0:16");
        var full = ScoredLogprobs("--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5");
        var wholeWidth = ScoredLogprobs("--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--dims", "0:64");

        // Assert
        sliced.ShouldBe(library.TokenLogprobs.ToArray());
        sliced.ShouldNotBe(full);
        wholeWidth.ShouldBe(full);
    }

    [Fact]
    public void Dims_outside_the_model_width_exit_with_2()
    {
        // Act
        var result = Cli.Run("score", "--model", fixture.Directory, "--text", Prompt,
            "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--dims", "0:65");

        // Assert
        result.ShouldFailWith(2, "residual dimensions [0, 65)", "[0, 64)");
    }
}

using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>
/// steer vector --random-like / --random-like-file / --match-norm write the library's controls, and --record-layer /
/// --rescale-to-layer transplant a pair's vector in every command that takes steering options.
/// </summary>
public sealed class ControlAndTransplantSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();
    private LanguageModel Model => fixture.Model;

    public void Dispose() => _directory.Dispose();

    private CliResult Vector(string name, params string[] args) =>
        Cli.Run(["vector", "--model", fixture.Directory, "--out", _directory.File(name), .. args]);

    private SteeringVector Saved(string name) => SteeringVectorFile.Load(_directory.File(name));

    [Fact]
    public void Random_like_writes_the_library_control_of_the_pair_vector()
    {
        var result = Vector("random.safetensors", "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--random-like", "--seed", "9");

        result.ExitCode.ShouldBe(0, result.Error);
        var expected = RandomControl.RandomLike(ActAdd.Pair(Model, "Love", "Hate", 1, 5), 9);
        Saved("random.safetensors").ApproximatelyEquals(expected, 0).ShouldBeTrue();
        Saved("random.safetensors").Metadata.Properties["seed"].ShouldBe("9");
    }

    [Fact]
    public void Random_like_file_gives_the_same_control_as_random_like()
    {
        Vector("v.safetensors", "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5").ExitCode.ShouldBe(0);

        var fromFile = Vector("r1.safetensors", "--random-like-file", _directory.File("v.safetensors"), "--seed", "2");
        var direct = Vector("r2.safetensors", "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--random-like", "--seed", "2");

        fromFile.ExitCode.ShouldBe(0, fromFile.Error);
        direct.ExitCode.ShouldBe(0, direct.Error);
        Saved("r1.safetensors").Components[0].Values.ShouldBe(Saved("r2.safetensors").Components[0].Values);
        // The printed norms are the vector's, past BOS, and 0 at BOS.
        var norms = ActAdd.Pair(Model, "Love", "Hate", 1, 5).Components[0].PositionNorms();
        fromFile.Output.ShouldContain($"3 positions, norms 0, {norms[1]:G5}, {norms[2]:G5}");
    }

    [Fact]
    public void Match_norm_rescales_the_random_text_vector_to_the_steering_vectors_mean_norm()
    {
        Vector("v.safetensors", "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5").ExitCode.ShouldBe(0);

        var result = Vector("text.safetensors", "--plus", "fdsajl; fs", "--minus", "", "--layer", "1", "--coeff", "1", "--match-norm", _directory.File("v.safetensors"));

        result.ExitCode.ShouldBe(0, result.Error);
        var expected = RandomControl.MatchNorm(ActAdd.Pair(Model, "fdsajl; fs", "", 1, 1), ActAdd.Pair(Model, "Love", "Hate", 1, 5));
        Saved("text.safetensors").ApproximatelyEquals(expected, 1e-6).ShouldBeTrue();
        RandomControl.MeanPositionNorm(Saved("text.safetensors")).ShouldBe(RandomControl.MeanPositionNorm(Saved("v.safetensors")), 1e-3);
    }

    [Fact]
    public void Record_layer_saves_the_transplanted_vector_and_prints_the_rescale_factor()
    {
        var result = Vector("t.safetensors", "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--record-layer", "0", "--rescale-to-layer");

        result.ExitCode.ShouldBe(0, result.Error);
        var expected = ActAdd.Build(Model, [new Addition
        {
            Plus = "Love", Minus = "Hate", HookPoint = "blocks.1.hook_resid_pre", Coeff = 5, RecordHookPoint = "0", RescaleToHookPoint = true,
        }]);
        Saved("t.safetensors").ApproximatelyEquals(expected, 0).ShouldBeTrue();
        var factor = double.Parse(expected.Metadata.Properties.Single().Value, System.Globalization.CultureInfo.InvariantCulture);
        result.Error.ShouldContain($"--rescale-to-layer: blocks.0.hook_resid_pre -> blocks.1.hook_resid_pre, scaled by {factor:G5}");
        Saved("t.safetensors").Metadata.Additions.Single().RecordHookPoint.ShouldBe("blocks.0.hook_resid_pre");
    }

    [Fact]
    public void Generate_steers_with_the_transplant_as_with_its_saved_vector()
    {
        Vector("t.safetensors", "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--record-layer", "0").ExitCode.ShouldBe(0);
        string[] common = ["generate", "--model", fixture.Directory, "--prompt", "I hate you because", "--max-new-tokens", "6", "--temperature", "0", "--json"];

        var transplanted = Cli.Run([.. common, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--record-layer", "0"]);
        var fromFile = Cli.Run([.. common, "--vector", _directory.File("t.safetensors")]);
        var atLayerOne = Cli.Run([.. common, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5"]);

        transplanted.ExitCode.ShouldBe(0, transplanted.Error);
        Ids(transplanted).ShouldBe(Ids(fromFile));
        Ids(transplanted).ShouldNotBe(Ids(atLayerOne));
    }

    [Fact]
    public void Eval_commands_say_where_a_transplant_was_recorded_and_added()
    {
        var result = Cli.Run(["eval", "kl", "--model", fixture.Directory, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5",
            "--record-layer", "0", "--rescale-to-layer"]);

        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldContain("(\"Love\" - \"Hate\") x 5 recorded at blocks.0.hook_resid_pre, rescaled, added at blocks.1.hook_resid_pre");
    }

    private static int[] Ids(CliResult result) => result.Json().GetProperty("completions")[0].GetProperty("ids").Ints();

    [Theory]
    [InlineData("--seed seeds the random control", "--plus", "Love", "--layer", "1", "--coeff", "5", "--seed", "3")]
    [InlineData("--rescale-to-layer rescales a transplanted vector", "--plus", "Love", "--layer", "1", "--coeff", "5", "--rescale-to-layer")]
    [InlineData("--record-layer transplants the --plus/--minus vector", "--add", "Love:5@1", "--record-layer", "0")]
    [InlineData("layer 9 is out of range", "--plus", "Love", "--layer", "1", "--coeff", "5", "--record-layer", "9")]
    [InlineData("leave out the steering options", "--random-like-file", "x.safetensors", "--plus", "Love", "--layer", "1", "--coeff", "5")]
    public void Bad_control_and_transplant_options_exit_with_2_and_write_nothing(string message, params string[] args)
    {
        var result = Vector("bad.safetensors", args);

        result.ExitCode.ShouldBe(2, result.Output + result.Error);
        result.Error.ShouldContain(message);
        File.Exists(_directory.File("bad.safetensors")).ShouldBeFalse();
    }

    [Fact]
    public void A_missing_reference_for_match_norm_exits_with_3_and_writes_nothing()
    {
        var result = Vector("bad.safetensors", "--plus", "Love", "--layer", "1", "--coeff", "5", "--match-norm", _directory.File("missing.safetensors"));

        result.ExitCode.ShouldBe(3, result.Error);
        File.Exists(_directory.File("bad.safetensors")).ShouldBeFalse();
    }
}

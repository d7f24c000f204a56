using System.Text.Json;
using Steer.Generation;
using Steer.Steering;
using Steer.Steering.Datasets;
using Steer.Steering.Files;
using Steer.Steering.Methods;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>
/// steer vector from a dataset, GGUF out and in, and the application options (--positions, --operator,
/// --vector-scale, several --vector) giving what the library gives.
/// </summary>
public sealed class ControlVectorSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string Dataset()
    {
        var path = _directory.File("pairs.jsonl");
        File.WriteAllLines(path,
        [
            """{"positive": "I love it", "negative": "I hate it"}""",
            """{"positive": "What a great day", "negative": "What a terrible day"}""",
            """{"positive": "She smiled", "negative": "She cried all night"}""",
        ]);
        return path;
    }

    [Fact]
    public void A_caa_gguf_file_from_the_cli_equals_the_librarys_vector_at_blocks_1_and_up()
    {
        // Arrange
        var output = _directory.File("caa.gguf");
        var expected = DatasetVectors.Train(fixture.Model, ContrastiveDataset.Load(Dataset()), new DatasetVectorOptions { Layers = [1] });

        // Act
        var result = Cli.Run("vector", "--model", fixture.Directory, "--method", "caa", "--dataset", Dataset(), "--out", output);

        // Assert: the fixture has 2 blocks, so a GGUF file holds block 1's output only.
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldContain("blocks.1.hook_resid_post: every position, norm");
        var loaded = ControlVectorFile.Load(output, fixture.Model);
        loaded.ApproximatelyEquals(expected, 1e-6).ShouldBeTrue();
    }

    [Fact]
    public void Generating_with_a_scaled_gguf_vector_equals_the_library_with_the_scaled_vector()
    {
        // Arrange
        var file = _directory.File("pca.gguf");
        Cli.Run("vector", "--model", fixture.Directory, "--method", "pca-diff", "--dataset", Dataset(), "--out", file).ExitCode.ShouldBe(0);
        var vector = ControlVectorFile.Load(file, fixture.Model) * 12;
        int[] prompt = [50256, 40, 5465, 345];
        var expected = fixture.Model.Generate([prompt], new GenerationOptions { MaxNewTokens = 6, Sampling = SamplingOptions.Greedy, StopAtEndOfText = false }, vector);

        // Act: two --vector flags at scale 6 sum to scale 12.
        var result = Cli.Run("generate", "--model", fixture.Directory, "--ids", "50256,40,5465,345", "--vector", file, "--vector", file,
            "--vector-scale", "6", "--max-new-tokens", "6", "--temperature", "0", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        json.RootElement.GetProperty("completions")[0].GetProperty("ids").EnumerateArray().Select(e => e.GetInt32())
            .ShouldBe(expected.Completions.Single());
    }

    [Fact]
    public void Positions_and_operator_reach_the_library()
    {
        // Arrange
        var file = _directory.File("caa.safetensors");
        Cli.Run("vector", "--model", fixture.Directory, "--method", "caa", "--dataset", Dataset(), "--layers", "0", "--out", file).ExitCode.ShouldBe(0);
        var vector = SteeringVectorFile.Load(file);
        int[] prompt = [50256, 40, 5465, 345];
        var options = new SteeringOptions { Positions = PositionMode.Generated, Operator = SteeringOperator.Ablate };
        var expected = fixture.Model.Generate([prompt], new GenerationOptions { MaxNewTokens = 6, Sampling = SamplingOptions.Greedy, StopAtEndOfText = false }, vector, options);

        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--ids", "50256,40,5465,345", "--vector", file,
            "--positions", "generated", "--operator", "ablate", "--max-new-tokens", "6", "--temperature", "0", "--json");
        var bad = Cli.Run("generate", "--model", fixture.Directory, "--ids", "50256,40", "--vector", file, "--positions", "everywhere");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        json.RootElement.GetProperty("completions")[0].GetProperty("ids").EnumerateArray().Select(e => e.GetInt32())
            .ShouldBe(expected.Completions.Single());
        bad.ShouldFailWith(2, "--positions 'everywhere': use front, prompt, generated, all or assistant");
    }

    [Fact]
    public void Hook_point_takes_a_residual_kind_or_one_residual_hook_point()
    {
        var file = _directory.File("pre.safetensors");

        var one = Cli.Run("vector", "--model", fixture.Directory, "--method", "caa", "--dataset", Dataset(), "--hook-point", "blocks.1.hook_in", "--out", file);
        var notResidual = Cli.Run("vector", "--model", fixture.Directory, "--method", "caa", "--dataset", Dataset(), "--hook-point", "blocks.1.hook_attn_out", "--out", file);

        one.ExitCode.ShouldBe(0, one.Error);
        SteeringVectorFile.Load(file).Components.Single().HookPoint.ShouldBe("blocks.1.hook_resid_pre");
        notResidual.ShouldFailWith(2, "dataset vectors are read from a residual stream");
    }

    [Fact]
    public void Dataset_errors_and_unwritable_layers_fail_before_any_work()
    {
        var broken = _directory.File("broken.jsonl");
        File.WriteAllText(broken, "{\"positive\": \"a\"}\n");

        Cli.Run("vector", "--model", fixture.Directory, "--method", "caa", "--dataset", broken, "--out", _directory.File("v.gguf"))
            .ShouldFailWith(2, "line 1: \"negative\" is missing");
        Cli.Run("vector", "--model", fixture.Directory, "--method", "caa", "--dataset", Dataset(), "--layers", "0", "--out", _directory.File("v.gguf"))
            .ShouldFailWith(2, "start at block 1's output");
        Cli.Run("vector", "--model", fixture.Directory, "--method", "caa", "--out", _directory.File("v.gguf"))
            .ShouldFailWith(2, "--method caa needs --dataset");
        Cli.Run("vector", "--model", fixture.Directory, "--method", "svd", "--dataset", Dataset(), "--out", _directory.File("v.gguf"))
            .ShouldFailWith(2, "method 'svd': use actadd, caa, pca-diff or pca-center");
        File.Exists(_directory.File("v.gguf")).ShouldBeFalse();
    }
}

public sealed class VectorInspectSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Inspect_reports_norms_relative_norms_cosines_and_a_logit_lens_and_draws_a_plot()
    {
        // Arrange: 10 × the embedding of " hate" at two layers, so the lens must put " hate" first.
        var row = fixture.Model.Transformer.Unembedding[5465].data<float>().Select(v => 10 * v).ToArray();
        var vector = new SteeringVector([SteeringComponent.Row(Steer.Hooks.HookNames.ResidPost(0), row), SteeringComponent.Row(Steer.Hooks.HookNames.ResidPost(1), row)]);
        var path = _directory.File("v.safetensors");
        SteeringVectorFile.Save(vector, path);
        var plot = _directory.File("plots/norms.svg");

        // Act
        var json = Cli.Run("vector", "inspect", path, "--model", fixture.Directory, "--json");
        var text = Cli.Run("vector", "inspect", path, "--plot", plot);
        var missing = Cli.Run("vector", "inspect", _directory.File("missing.gguf"));
        File.WriteAllBytes(_directory.File("v.gguf"), [1, 2, 3]);
        var withoutModel = Cli.Run("vector", "inspect", _directory.File("v.gguf"));

        // Assert
        json.ExitCode.ShouldBe(0, json.Error);
        var root = json.Json();
        var components = root.GetProperty("components").EnumerateArray().ToList();
        components.Count.ShouldBe(2);
        components[0].GetProperty("top")[0].GetProperty("text").GetString().ShouldBe(" hate");
        components[0].GetProperty("relative_norm").GetDouble().ShouldBeGreaterThan(0);
        root.GetProperty("cosines")[0][1].GetDouble().ShouldBe(1, 1e-9);
        text.ExitCode.ShouldBe(0, text.Error);
        text.Output.ShouldContain("blocks.1.hook_resid_post  all");
        File.ReadAllText(plot).ShouldContain("<svg");
        missing.ShouldFailWith(3, "missing.gguf: no such vector file");
        withoutModel.ShouldFailWith(2, "is a GGUF control vector: give --model");
    }
}

public sealed class RelativeCoefficientSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Coeff_relative_prints_the_coefficient_it_used_and_steers_as_the_library_does()
    {
        // Arrange
        var row = Enumerable.Range(0, fixture.Model.Shape.ModelDim).Select(i => MathF.Sin(i * 0.4f)).ToArray();
        var vector = new SteeringVector([SteeringComponent.Row(Steer.Hooks.HookNames.ResidPost(1), row)]);
        var path = _directory.File("v.safetensors");
        SteeringVectorFile.Save(vector, path);
        int[] prompt = [50256, 40, 5465, 345];
        var (scaled, coefficients) = RelativeScale.Apply(fixture.Model, vector, prompt, 0.5);
        var expected = fixture.Model.Score(prompt, scaled);

        // Act
        var result = Cli.Run("score", "--model", fixture.Directory, "--ids", "50256,40,5465,345", "--vector", path, "--coeff-relative", "0.5", "--json");
        var text = Cli.Run("score", "--model", fixture.Directory, "--ids", "50256,40,5465,345", "--vector", path, "--coeff-relative", "0.5");
        var eval = Cli.Run("eval", "kl", "--model", fixture.Directory, "--vector", path, "--coeff-relative", "0.5");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        text.Error.ShouldContain($"blocks.1.hook_resid_post scaled by {coefficients["blocks.1.hook_resid_post"].ToString("G5", System.Globalization.CultureInfo.InvariantCulture)}");
        result.Json().GetProperty("token_logprobs").EnumerateArray().Select(e => e.GetDouble())
            .Zip(expected.TokenLogprobs, (a, b) => Math.Abs(a - b)).Max().ShouldBeLessThan(1e-6);
        eval.ShouldFailWith(2, "--coeff-relative measures the prompt being steered");
    }
}

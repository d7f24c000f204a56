using Steer.Models.Gpt2;

namespace Steer.Tests.Cli;

public sealed class InspectCommandSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    [Fact]
    public void Inspect_json_reports_the_config_parameter_count_and_dtype_of_the_model()
    {
        // Arrange
        var expectedParameters = Gpt2Layout.Shapes(CliModelFixture.Config).Values.Sum(shape => shape.Aggregate(1L, (a, b) => a * b));

        // Act
        var result = Cli.Run("inspect", "--model", fixture.Directory, "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        var config = json.GetProperty("config");
        config.GetProperty("n_layer").GetInt32().ShouldBe(2);
        config.GetProperty("n_embd").GetInt32().ShouldBe(64);
        config.GetProperty("n_head").GetInt32().ShouldBe(4);
        config.GetProperty("vocab_size").GetInt32().ShouldBe(50257);
        config.GetProperty("n_positions").GetInt32().ShouldBe(64);
        json.GetProperty("parameters").GetInt64().ShouldBe(expectedParameters);
        json.GetProperty("parameters").GetInt64().ShouldBe(fixture.Model.ParameterCount);
        json.GetProperty("dtype").GetString().ShouldBe("float32");
        json.GetProperty("device").GetString().ShouldBe("cpu");
        json.GetProperty("tokenizer").GetString().ShouldBe("built-in gpt2");
    }

    [Fact]
    public void Inspect_json_lists_every_hook_point_in_forward_order()
    {
        // Act
        var hookPoints = Cli.Run("inspect", "--model", fixture.Directory, "--json").Json().GetProperty("hook_points").Strings();

        // Assert
        hookPoints.ShouldBe(Gpt2HookPoints.For(CliModelFixture.Config).Names);
        hookPoints.Length.ShouldBe(2 + 15 * 2 + 1);
        hookPoints[..3].ShouldBe(["hook_embed", "hook_pos_embed", "blocks.0.hook_resid_pre"]);
        hookPoints[^1].ShouldBe("ln_final.hook_normalized");
        Array.IndexOf(hookPoints, "blocks.1.hook_resid_pre").ShouldBeGreaterThan(Array.IndexOf(hookPoints, "blocks.0.hook_resid_post"));
    }

    [Fact]
    public void Inspect_with_dtype_bfloat16_reports_bfloat16()
    {
        // Act
        var result = Cli.Run("inspect", "--model", fixture.Directory, "--dtype", "bfloat16", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Json().GetProperty("dtype").GetString().ShouldBe("bfloat16");
    }

    [Fact]
    public void Inspect_without_json_prints_the_shape_and_every_hook_point()
    {
        // Act
        var result = Cli.Run("inspect", "--model", fixture.Directory);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var lines = result.Output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines.ShouldContain("layers      2");
        lines.ShouldContain("dtype       float32");
        lines.ShouldContain("hook points (33):");
        lines[^1].ShouldBe("  ln_final.hook_normalized");
    }
}

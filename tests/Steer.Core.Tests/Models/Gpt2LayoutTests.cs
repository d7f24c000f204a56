using Steer.Models.Gpt2;

namespace Steer.Tests.Models;

/// <summary>The tensor names and shapes a GPT-2 checkpoint must hold, checked without allocating or loading any weight.</summary>
public sealed class Gpt2LayoutTests
{
    private static readonly string[] BlockTensors =
    [
        "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias",
        "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias",
    ];

    [Fact]
    public void Gpt2_small_has_the_148_hugging_face_tensor_names_in_file_order()
    {
        // Arrange
        string[] expected =
        [
            "wte.weight", "wpe.weight",
            .. Enumerable.Range(0, 12).SelectMany(layer => BlockTensors.Select(tensor => $"h.{layer}.{tensor}")),
            "ln_f.weight", "ln_f.bias",
        ];

        // Act
        var names = Gpt2Layout.Shapes(Gpt2Config.Small).Keys.ToArray();

        // Assert
        names.Length.ShouldBe(148);
        names.ShouldBe(expected);
    }

    [Theory]
    [InlineData("wte.weight", new long[] { 50257, 768 })]
    [InlineData("wpe.weight", new long[] { 1024, 768 })]
    [InlineData("h.0.ln_1.weight", new long[] { 768 })]
    [InlineData("h.0.attn.c_attn.weight", new long[] { 768, 2304 })]
    [InlineData("h.0.attn.c_attn.bias", new long[] { 2304 })]
    [InlineData("h.5.attn.c_proj.weight", new long[] { 768, 768 })]
    [InlineData("h.7.mlp.c_fc.weight", new long[] { 768, 3072 })]
    [InlineData("h.11.mlp.c_proj.weight", new long[] { 3072, 768 })]
    [InlineData("h.11.mlp.c_proj.bias", new long[] { 768 })]
    [InlineData("ln_f.bias", new long[] { 768 })]
    public void Gpt2_small_tensors_have_the_hugging_face_shapes(string name, long[] shape)
    {
        // Act
        var shapes = Gpt2Layout.Shapes(Gpt2Config.Small);

        // Assert
        shapes[name].ShouldBe(shape);
    }

    [Fact]
    public void Gpt2_small_has_124_million_parameters()
    {
        // Act
        var parameters = Gpt2Layout.Shapes(Gpt2Config.Small).Values.Sum(shape => shape.Aggregate(1L, (a, b) => a * b));

        // Assert
        parameters.ShouldBe(124_439_808);
    }

    [Fact]
    public void A_model_allocates_exactly_the_parameters_of_the_layout()
    {
        // Arrange
        var config = Checkpoints.Config;

        // Act
        using var model = LanguageModel.FromFormula(config, seed: 1);

        // Assert
        model.Parameters.Select(p => $"{p.Name} [{string.Join(", ", p.Shape)}]")
            .ShouldBe(Gpt2Layout.Shapes(config).Select(s => $"{s.Key} [{string.Join(", ", s.Value)}]"));
    }
}

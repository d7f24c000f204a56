using Steer.Models;
using Steer.Tests.IO;
using static TorchSharp.torch;

namespace Steer.Tests.Models;

/// <summary>The checkpoint variants found in the wild load, through <see cref="LanguageModel.Load"/>, to the same model.</summary>
public sealed class WeightLoaderTests : IDisposable
{
    private readonly TempDirectory _root = new();
    private readonly List<(string Name, Tensor Tensor)> _tensors = Checkpoints.Tensors();
    private readonly Tensor _expected;

    public WeightLoaderTests()
    {
        var plain = Directory.CreateDirectory(_root.File("plain")).FullName;
        Checkpoints.Write(plain, _tensors);
        _expected = Checkpoints.Logits(plain);
    }

    public void Dispose()
    {
        _expected.Dispose();
        _tensors.Dispose();
        _root.Dispose();
    }

    private string NewModelDirectory(string name) => Directory.CreateDirectory(_root.File(name)).FullName;

    [Fact]
    public void Names_with_the_transformer_prefix_give_the_same_logits_as_plain_names()
    {
        // Arrange
        var directory = NewModelDirectory("prefixed");
        Checkpoints.Write(directory, _tensors.Select(t => ("transformer." + t.Name, t.Tensor)));

        // Act
        using var logits = Checkpoints.Logits(directory);

        // Assert
        logits.ShouldBeBitIdenticalTo(_expected);
    }

    [Fact]
    public void Attention_buffers_and_a_tied_lm_head_are_ignored()
    {
        // Arrange: what older Hugging Face GPT-2 checkpoints store besides the weights.
        var directory = NewModelDirectory("buffers");
        var context = Checkpoints.Config.ContextLength;
        using var causal = ones(context, context).tril().view(1, 1, context, context);
        using var maskedBias = tensor(-1e4f);
        var wte = _tensors.Single(t => t.Name == "wte.weight").Tensor;
        var extras = Enumerable.Range(0, Checkpoints.Config.Layers)
            .SelectMany(i => new[] { ($"transformer.h.{i}.attn.bias", causal), ($"transformer.h.{i}.attn.masked_bias", maskedBias) })
            .Append(("lm_head.weight", wte));
        Checkpoints.Write(directory, _tensors.Select(t => ("transformer." + t.Name, t.Tensor)).Concat(extras));

        // Act
        using var logits = Checkpoints.Logits(directory);

        // Assert
        logits.ShouldBeBitIdenticalTo(_expected);
    }

    [Fact]
    public void A_float16_file_loads_the_float16_rounded_weights()
    {
        // Arrange
        var directory = NewModelDirectory("f16");
        var halves = _tensors.Select(t => (t.Name, t.Tensor.to(ScalarType.Float16))).ToList();
        Checkpoints.Write(directory, halves);
        halves.Dispose();
        using var rounded = LanguageModel.FromFormula(Checkpoints.Config, Checkpoints.Seed, null, storedAs: ScalarType.Float16);
        using var expected = rounded.Logits(Checkpoints.Ids);

        // Act
        using var model = LanguageModel.Load(directory);
        using var logits = model.Logits(Checkpoints.Ids);

        // Assert
        model.DType.ShouldBe("float32");
        logits.ShouldBeBitIdenticalTo(expected);
        logits.eq(_expected).all().item<bool>().ShouldBeFalse("rounding to float16 should change some logits");
    }

    [Fact]
    public void A_bfloat16_file_runs_in_bfloat16_with_logits_close_to_the_float32_model()
    {
        // Arrange
        var directory = NewModelDirectory("bf16");
        var halves = _tensors.Select(t => (t.Name, t.Tensor.to(ScalarType.BFloat16))).ToList();
        Checkpoints.Write(directory, halves);
        halves.Dispose();

        // Act
        using var model = LanguageModel.Load(directory, new ModelOptions { DType = "bfloat16" });
        using var logits = model.Logits(Checkpoints.Ids);

        // Assert
        model.DType.ShouldBe("bfloat16");
        logits.dtype.ShouldBe(ScalarType.Float32);
        logits.shape.ShouldBe(_expected.shape);
        // bfloat16 keeps 8 significant bits (relative rounding error up to 2^-9 ≈ 0.2%), and here every weight and
        // every intermediate activation is rounded, through two blocks. The float32 logits reach about ±2 (std ≈ 0.56),
        // and the measured difference is about 0.014; 0.05 (2.5% of the largest logit) leaves room for other CPUs'
        // kernels while still catching wrong weights, which move logits by the order of their spread (≈ 0.5).
        using var difference = (logits - _expected).abs().max();
        difference.item<float>().ShouldBeLessThan(0.05f);
        difference.item<float>().ShouldBeGreaterThan(0f, "the model should really have computed in bfloat16");
    }

    [Fact]
    public void A_sharded_checkpoint_gives_the_same_logits_as_the_single_file()
    {
        // Arrange
        var directory = NewModelDirectory("sharded");
        var half = _tensors.Count / 2;
        Checkpoints.WriteSharded(directory, [_tensors[..half], _tensors[half..]]);

        // Act
        using var logits = Checkpoints.Logits(directory);

        // Assert
        Directory.GetFiles(directory, "*.safetensors").Length.ShouldBe(2);
        logits.ShouldBeBitIdenticalTo(_expected);
    }
}

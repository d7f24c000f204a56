using Steer.Tests.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Tests.Models;

/// <summary>
/// A checkpoint that does not match its config.json is refused as an invalid model, with a message that names
/// the tensor, before any weight is read, and leaves nothing allocated behind.
/// </summary>
public sealed class WeightLoaderErrorTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly List<(string Name, Tensor Tensor)> _tensors = Checkpoints.Tensors();

    public void Dispose()
    {
        _tensors.Dispose();
        _directory.Dispose();
    }

    private SteerException LoadFails()
    {
        var error = Should.Throw<SteerException>(() => LanguageModel.Load(_directory.Path));
        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        return error;
    }

    private IEnumerable<(string Name, Tensor Tensor)> Without(string name) => _tensors.Where(t => t.Name != name);

    [Fact]
    public void A_missing_tensor_is_named()
    {
        // Arrange
        Checkpoints.Write(_directory.Path, Without("h.1.mlp.c_fc.bias"));

        // Act
        var error = LoadFails();

        // Assert
        error.Message.ShouldContain("missing tensor 'h.1.mlp.c_fc.bias'");
        error.Message.ShouldStartWith(_directory.Path);
    }

    [Fact]
    public void An_unexpected_tensor_is_named()
    {
        // Arrange
        using var extra = zeros(4);
        Checkpoints.Write(_directory.Path, _tensors.Append(("h.0.attn.rotary.inv_freq", extra)));

        // Act
        var error = LoadFails();

        // Assert
        error.Message.ShouldContain("unexpected tensor 'h.0.attn.rotary.inv_freq'");
    }

    [Fact]
    public void A_tensor_stored_both_with_and_without_the_prefix_is_refused()
    {
        // Arrange
        var wpe = _tensors.Single(t => t.Name == "wpe.weight").Tensor;
        Checkpoints.Write(_directory.Path, _tensors.Append(("transformer.wpe.weight", wpe)));

        // Act
        var error = LoadFails();

        // Assert
        error.Message.ShouldContain("tensor 'wpe.weight' is stored twice");
    }

    [Fact]
    public void A_mis_shaped_tensor_is_named_with_both_shapes()
    {
        // Arrange
        using var shortWpe = zeros(31, 32);
        Checkpoints.Write(_directory.Path, Without("wpe.weight").Append(("wpe.weight", shortWpe)));

        // Act
        var error = LoadFails();

        // Assert
        error.Message.ShouldContain("tensor 'wpe.weight' has shape [31, 32] but config.json implies [32, 32]");
    }

    [Fact]
    public void A_config_whose_n_embd_disagrees_with_the_weights_names_the_first_mismatched_tensor()
    {
        // Arrange
        Checkpoints.Write(_directory.Path, _tensors, Checkpoints.Config with { ModelDim = 64 });

        // Act
        var error = LoadFails();

        // Assert
        error.Message.ShouldContain("tensor 'wte.weight' has shape [512, 32] but config.json implies [512, 64]");
    }

    [Fact]
    public void A_config_whose_n_embd_is_not_a_multiple_of_n_head_is_invalid()
    {
        // Arrange
        Checkpoints.Write(_directory.Path, _tensors, Checkpoints.Config with { ModelDim = 30 });

        // Act
        var error = LoadFails();

        // Assert
        error.Message.ShouldContain("n_embd (30) must be a positive multiple of n_head (4)");
    }

    [Fact]
    public void A_config_with_an_unknown_model_type_is_invalid()
    {
        // Arrange
        Checkpoints.Write(_directory.Path, _tensors, Checkpoints.Config with { ModelType = "falcon" });

        // Act
        var error = LoadFails();

        // Assert
        error.Message.ShouldContain("model_type 'falcon' is not supported; supported: gpt2, llama, mistral, qwen2, qwen3");
    }

    [Fact]
    public void A_loaded_model_holds_one_live_tensor_per_parameter_until_it_is_disposed()
    {
        // Arrange: this is what makes the live count a meaningful check in the next test.
        Checkpoints.Write(_directory.Path, _tensors);
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        // Act
        var model = LanguageModel.Load(_directory.Path);
        var whileLoaded = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        model.Dispose();

        // Assert
        (whileLoaded - before).ShouldBe(_tensors.Count);
        DisposeScopeManager.Statistics.ThreadTotalLiveCount.ShouldBe(before);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("mis-shaped")]
    [InlineData("config")]
    public void A_failed_load_leaves_no_half_loaded_model_behind(string fault)
    {
        // Arrange: each of these fails after the model's parameters have been allocated.
        using var shortWpe = zeros(31, 32);
        switch (fault)
        {
            case "missing": Checkpoints.Write(_directory.Path, Without("ln_f.bias")); break;
            case "mis-shaped": Checkpoints.Write(_directory.Path, Without("wpe.weight").Append(("wpe.weight", shortWpe))); break;
            default: Checkpoints.Write(_directory.Path, _tensors, Checkpoints.Config with { Layers = 3 }); break;
        }
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        // Act
        LoadFails();

        // Assert
        DisposeScopeManager.Statistics.ThreadTotalLiveCount.ShouldBe(before);
    }
}

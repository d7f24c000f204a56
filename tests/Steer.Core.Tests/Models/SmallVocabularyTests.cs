using Steer.Generation;
using Steer.Models.Gpt2;
using static TorchSharp.torch;

namespace Steer.Tests.Models;

/// <summary>
/// A GPT-2 checkpoint whose vocabulary is smaller than GPT-2's end-of-text id (50256): padding and stopping must
/// use ids the model has, never a literal from GPT-2's vocabulary.
/// </summary>
public sealed class SmallVocabularyTests : IDisposable
{
    private static readonly Gpt2Config Config = new() { VocabSize = 1000, Layers = 2, Heads = 4, ModelDim = 64, ContextLength = 64 };
    private static readonly int[] Long = [5, 17, 333, 999, 42, 7];
    private static readonly int[] Short = [999, 3];

    private readonly LanguageModel _model = LanguageModel.FromFormula(Config, seed: 1);

    [Fact]
    public void Its_pad_id_lies_inside_the_vocabulary_and_its_stop_id_is_the_configs()
    {
        _model.Tokenizer.PadId.ShouldBe(50256);
        _model.PadId.ShouldBeInRange(0, 999);
        _model.StopId.ShouldBe(Config.EosTokenId);
    }

    [Fact]
    public void A_batch_of_different_lengths_gives_each_row_its_own_logits()
    {
        // Act
        using var batch = _model.Logits([Long, Short]);

        // Assert
        batch.PadLengths.ShouldBe([0, Long.Length - Short.Length]);
        using var alone = _model.Logits(Short);                                       // [pos, vocab]
        using var row = batch.Values[1].narrow(0, Long.Length - Short.Length, Short.Length);
        (row - alone).abs().max().item<float>().ShouldBeLessThan(1e-5f);
    }

    [Fact]
    public void Prompts_of_different_lengths_generate_as_they_do_alone()
    {
        // Arrange
        var options = new GenerationOptions { MaxNewTokens = 4, Sampling = SamplingOptions.Greedy, Seed = 3 };

        // Act
        var both = _model.Generate([Long, Short], options);

        // Assert
        both.Completions[0].ShouldBe(_model.Generate([Long], options).Completions[0]);
        both.Completions[1].ShouldBe(_model.Generate([Short], options).Completions[0]);
        both.Completions.SelectMany(c => c).ShouldAllBe(id => id >= 0 && id < 1000);
    }

    [Fact]
    public void A_row_that_finishes_early_is_fed_a_valid_id_and_leaves_the_other_rows_unchanged()
    {
        // Arrange: the first item stops after one token, the second runs on for five.
        var quick = new GenerationItem(Short, new GenerationOptions { MaxNewTokens = 1, Sampling = SamplingOptions.Greedy, Seed = 1 });
        var slow = new GenerationItem(Long, new GenerationOptions { MaxNewTokens = 5, Sampling = SamplingOptions.Greedy, Seed = 1 });

        // Act
        var results = _model.GenerateMany([quick, slow]);

        // Assert
        results[0].Completions[0].Length.ShouldBe(1);
        results[1].Completions[0].ShouldBe(_model.GenerateMany([slow])[0].Completions[0]);
    }

    public void Dispose() => _model.Dispose();
}

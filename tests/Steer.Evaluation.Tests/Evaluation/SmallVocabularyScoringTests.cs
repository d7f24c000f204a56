using Steer.Evaluation;
using Steer.Models.Gpt2;

namespace Steer.Tests.Evaluation;

/// <summary>Perplexity batches of a checkpoint whose vocabulary (1,000) is smaller than GPT-2's end-of-text id.</summary>
public sealed class SmallVocabularyScoringTests
{
    [Fact]
    public void A_padded_perplexity_batch_scores_each_row_as_it_scores_alone()
    {
        // Arrange
        using var model = LanguageModel.FromFormula(new Gpt2Config { VocabSize = 1000, Layers = 2, Heads = 4, ModelDim = 64, ContextLength = 64 }, seed: 1);
        IReadOnlyList<int>[] rows = [[5, 17, 333, 999, 42, 7], [999, 3, 12]];
        var scorer = new BatchScorer(model);

        // Act
        var batched = scorer.ScoreBatch([.. rows], hooks: null);

        // Assert
        for (var b = 0; b < rows.Length; b++)
        {
            var alone = model.Score(rows[b]).TokenLogprobs;
            batched[b].Length.ShouldBe(alone.Count);
            for (var t = 0; t < alone.Count; t++) batched[b][t].ShouldBe(alone[t], 1e-4);
        }
    }
}

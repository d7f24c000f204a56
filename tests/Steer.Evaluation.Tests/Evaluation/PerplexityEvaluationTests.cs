using Steer.Evaluation;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Tests.Cli;

namespace Steer.Tests.Evaluation;

/// <summary>Perplexity of topics with batched, steered scoring on a formula model.</summary>
public sealed class PerplexityEvaluationTests(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private LanguageModel Model => fixture.Model;
    private SteeringVector Weddings => ActAdd.Pair(Model, " weddings", "", 1, 1);     // [BOS, " weddings"] − [BOS, " "]

    private static readonly Topic Short = new("short", ["The bride smiled at the groom.", "Ships carry containers across the sea.", "Rice needs water.", "Hi"]);

    [Fact]
    public void Coefficient_0_gives_a_ratio_of_exactly_1_for_every_topic()
    {
        // Arrange
        var topics = Topic.DefaultNames.Select(Topic.BuiltIn).ToList();
        var evaluation = new PerplexityEvaluation(Model, topics);

        // Act
        var results = evaluation.Measure(Weddings * 0);

        // Assert
        results.Select(r => r.Ratio).ShouldBe([1.0, 1.0]);
        results.ShouldAllBe(r => r.PerplexitySteered == r.PerplexityUnsteered && r.Tokens > 300);
    }

    [Fact]
    public void Batched_scores_equal_scoring_each_sentence_alone_with_and_without_steering()
    {
        // Arrange
        var evaluation = new PerplexityEvaluation(Model, [Short], new PerplexityOptions { TokenBudget = 24 });
        var vector = Weddings * 4;
        double sumUnsteered = 0, sumSteered = 0;
        var tokens = 0;
        foreach (var sentence in Short.Sentences)
        {
            var ids = Model.Tokenizer.Encode(sentence);
            if (ids.Count < 4) continue;                                     // mask 2 leaves nothing of "Hi"
            var clean = Model.Score(ids).TokenLogprobs;
            var steered = Model.Score(ids, vector).TokenLogprobs;
            for (var t = 2; t < clean.Count; t++, tokens++)
            {
                sumUnsteered += clean[t];
                sumSteered += steered[t];
            }
        }

        // Act
        var result = evaluation.Measure(vector).Single();

        // Assert
        result.Tokens.ShouldBe(tokens);
        result.Sentences.ShouldBe(3);
        result.Skipped.ShouldBe(1);
        result.PerplexityUnsteered.ShouldBe(Math.Exp(-sumUnsteered / tokens), Math.Exp(-sumUnsteered / tokens) * 1e-4);
        result.PerplexitySteered.ShouldBe(Math.Exp(-sumSteered / tokens), Math.Exp(-sumSteered / tokens) * 1e-4);
        result.Ratio.ShouldBe(Math.Exp(-(sumSteered - sumUnsteered) / tokens), 1e-4);
    }

    [Fact]
    public void Prompting_scores_the_text_after_the_steering_prompt_against_the_plain_text()
    {
        // Arrange
        var sentence = "The bride smiled at the groom.";
        var ids = Model.Tokenizer.Encode(sentence);
        var prompted = Model.Score([ids[0], .. Model.Tokenizer.Encode(" weddings", prependBos: false), .. ids.Skip(1)]).TokenLogprobs;
        var clean = Model.Score(ids).TokenLogprobs;
        var evaluation = new PerplexityEvaluation(Model, [new Topic("one", [sentence])], new PerplexityOptions { Mode = PerplexityMode.Prompting });

        // Act
        var result = evaluation.Measure(Weddings).Single();

        // Assert: mask 2 with one inserted token keeps text tokens 2.. (prompted positions 3..).
        var difference = Enumerable.Range(2, ids.Count - 2).Sum(k => prompted[k] - clean[k - 1]);
        result.Tokens.ShouldBe(ids.Count - 2);
        result.Ratio.ShouldBe(Math.Exp(-difference / (ids.Count - 2)), 1e-4);
    }

    [Fact]
    public void Pad_mode_puts_the_vector_on_BOS_and_spaces_so_the_text_starts_at_position_n()
    {
        // Arrange
        var sentence = "Ships carry containers across the sea.";
        var ids = Model.Tokenizer.Encode(sentence);
        var vector = Weddings * 3;
        var padded = Model.Score([ids[0], 220, .. ids.Skip(1)], vector).TokenLogprobs;
        var clean = Model.Score(ids).TokenLogprobs;
        var evaluation = new PerplexityEvaluation(Model, [new Topic("one", [sentence])], new PerplexityOptions { Mode = PerplexityMode.Pad });

        // Act
        var result = evaluation.Measure(vector).Single();

        // Assert
        var difference = Enumerable.Range(2, ids.Count - 2).Sum(k => padded[k] - clean[k - 1]);
        result.Ratio.ShouldBe(Math.Exp(-difference / (ids.Count - 2)), 1e-4);
    }

    [Fact]
    public void Prompting_inserts_the_added_prompt_without_BOS()
    {
        // Act
        var tokens = PerplexityEvaluation.PromptingTokens(Model, Weddings);
        var negative = PerplexityEvaluation.PromptingTokens(Model, ActAdd.Pair(Model, "Love", "Hate", 1, -2));

        // Assert
        tokens.ShouldBe(Model.Tokenizer.Encode(" weddings", prependBos: false).ToArray());
        negative.ShouldBe(Model.Tokenizer.Encode("Hate", prependBos: false).ToArray());
    }

    [Fact]
    public void Batches_stay_within_the_token_budget_and_cover_every_sequence_once()
    {
        // Arrange
        var scorer = new BatchScorer(Model, tokenBudget: 10);
        IReadOnlyList<IReadOnlyList<int>> sequences = [[1, 2, 3], [1, 2, 3, 4, 5], [1, 2], [1, 2, 3, 4], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]];

        // Act
        var batches = scorer.Batches(sequences).ToList();

        // Assert
        batches.SelectMany(b => b).Order().ShouldBe([0, 1, 2, 3, 4]);
        batches.ShouldAllBe(b => b.Count == 1 || b.Count * b.Max(i => sequences[i].Count) <= 10);
        batches[0].ShouldBe([4]);                                             // longest first, alone when over budget
    }

    [Fact]
    public void A_steered_pass_costs_the_blocks_from_the_vector_on_in_overlay_mode_and_every_block_otherwise()
    {
        // Arrange: the formula model's unembedding (vocabulary × width) against a block's share of the other parameters.
        var shape = Model.Shape;
        var unembedding = (double)shape.VocabSize * shape.ModelDim;
        var logits = unembedding / ((Model.ParameterCount - unembedding) / shape.Layers);
        using var overlay = new PerplexityEvaluation(Model, [Short]);
        using var pad = new PerplexityEvaluation(Model, [Short], new PerplexityOptions { Mode = PerplexityMode.Pad });

        // Act
        var costs = Enumerable.Range(0, shape.Layers).Select(overlay.SteeredPassCost).ToList();

        // Assert
        costs.ShouldBe(Enumerable.Range(0, shape.Layers).Select(layer => shape.Layers - layer + logits).ToList(), tolerance: 1e-12);
        Enumerable.Range(0, shape.Layers).Select(pad.SteeredPassCost).ShouldAllBe(cost => Math.Abs(cost - (shape.Layers + logits)) < 1e-12);
    }
}

using Steer.Evaluation.Cloze;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Tests.Cli;
using static TorchSharp.torch;

namespace Steer.Tests.Evaluation;

/// <summary>Cloze items (LAMA's format), their tokenisation rule, and P@K on a formula model.</summary>
public sealed class ClozeEvaluationTests(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private LanguageModel Model => fixture.Model;
    private SteeringVector Weddings => ActAdd.Pair(Model, " weddings", "", 1, 4);

    private static ClozeItem Item(string sentence, string target, int line = 1) => new(line, sentence, target);

    private static readonly IReadOnlyList<ClozeItem> Items =
    [
        Item("The capital of France is [MASK].", "Paris", 1),
        Item("Bees make [MASK] in their hives.", "honey", 2),
        Item("A baby cat is called a [MASK].", "kitten", 3),
        Item("The opposite of hot is [MASK].", "cold", 4),
    ];

    [Fact]
    public void The_prompt_is_the_sentence_before_the_mask_without_trailing_space()
    {
        // Assert
        Item("The capital of France is   [MASK].", "Paris").Prompt.ShouldBe("The capital of France is");
        Item("[MASK] is a city.", "Paris").Prompt.ShouldBe("");
    }

    [Fact]
    public void A_target_is_kept_when_the_prompt_and_target_together_are_the_prompts_tokens_and_one_more()
    {
        // Arrange
        var tokenizer = Model.Tokenizer;
        var prompt = tokenizer.Encode("The capital of France is");

        // Act
        var (ids, target, reason) = ClozeEvaluation.Tokenize(tokenizer, Item("The capital of France is [MASK].", "Paris"));

        // Assert
        reason.ShouldBeNull();
        ids.ShouldBe(prompt);
        target.ShouldBe(tokenizer.Encode(" Paris", prependBos: false).Single());
    }

    [Theory]
    [InlineData("He plays the [MASK].", "xylophonist", ClozeDropReason.NotOneToken)]      // " xylophonist" is several tokens
    [InlineData("[MASK] is the capital of France.", "Paris", ClozeDropReason.EmptyPrompt)]
    public void Other_targets_are_dropped_with_the_reason(string sentence, string target, ClozeDropReason expected)
    {
        // Arrange
        Model.Tokenizer.Encode(" xylophonist", prependBos: false).Count.ShouldBeGreaterThan(1);

        // Act
        var (_, _, reason) = ClozeEvaluation.Tokenize(Model.Tokenizer, Item(sentence, target));

        // Assert
        reason.ShouldBe(expected);
    }

    [Fact]
    public void Ranks_count_the_tokens_with_a_strictly_larger_logit_without_and_with_steering()
    {
        // Arrange: the ranks read directly from the model's logits.
        var vector = Weddings;
        var expected = Items.Select(item =>
        {
            var (ids, target, _) = ClozeEvaluation.Tokenize(Model.Tokenizer, item);
            var unsteered = LastLogits(ids);
            float[] steered;
            using (Model.AddSteering(vector)) steered = LastLogits(ids);
            return (unsteered.Count(l => l > unsteered[target]), steered.Count(l => l > steered[target]));
        }).ToList();

        // Act
        var result = ClozeEvaluation.Measure(Model, Items, vector, ks: [1, 100, 1000, 50_000]);

        // Assert
        result.Dropped.ShouldBeEmpty();
        result.Kept.Select(r => (r.RankUnsteered, r.RankSteered)).ShouldBe(expected);
        expected.ShouldContain(e => e.Item1 != e.Item2);
        foreach (var accuracy in result.Accuracy)
        {
            accuracy.Unsteered.ShouldBe(expected.Count(e => e.Item1 < accuracy.K) / 4.0);
            accuracy.Steered.ShouldBe(expected.Count(e => e.Item2 < accuracy.K) / 4.0);
        }
        result.Accuracy[^1].Unsteered.ShouldBe(1.0);                          // every rank is below the vocabulary's size
    }

    [Fact]
    public void A_zero_vector_gives_the_unsteered_ranks()
    {
        // Act
        var result = ClozeEvaluation.Measure(Model, Items, Weddings * 0);

        // Assert
        result.Kept.ShouldAllBe(r => r.RankSteered == r.RankUnsteered);
        result.Accuracy.ShouldAllBe(a => a.Steered == a.Unsteered);
        result.Accuracy.Select(a => a.K).ShouldBe(ClozeEvaluation.DefaultKs);
    }

    [Fact]
    public void A_prompt_shorter_than_the_vector_is_dropped_under_error_and_padded_under_pad()
    {
        // Arrange: a vector of more positions than "Bees make" has tokens.
        var vector = ActAdd.Pair(Model, "Love and marriage and weddings and brides", "", 1, 2);
        var item = Item("Bees make [MASK].", "honey");
        vector.Positions.ShouldBeGreaterThan(ClozeEvaluation.Tokenize(Model.Tokenizer, item).Ids.Count);

        // Act
        var refused = ClozeEvaluation.Measure(Model, [item], vector);
        var padded = ClozeEvaluation.Measure(Model, [item], vector, new SteeringOptions { ShortPrompt = ShortPromptPolicy.Pad });

        // Assert
        refused.Dropped.Single().Reason.ShouldBe(ClozeDropReason.ShorterThanVector);
        refused.Kept.ShouldBeEmpty();
        double.IsNaN(refused.Accuracy[0].Unsteered).ShouldBeTrue();
        padded.Kept.ShouldHaveSingleItem();
    }

    [Theory]
    [InlineData(new[] { 5, 1, 5, 2 }, new[] { 1, 2, 5 })]
    public void Ks_are_sorted_and_deduplicated(int[] given, int[] expected) => ClozeEvaluation.CheckKs(given).ShouldBe(expected);

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void A_k_below_1_is_refused(int k) =>
        Should.Throw<SteerException>(() => ClozeEvaluation.CheckKs([1, k])).Message.ShouldContain($"got {k}");

    [Fact]
    public void The_built_in_items_are_about_fifty_and_nearly_all_single_gpt2_tokens()
    {
        // Act
        var items = ClozeFile.BuiltIn();
        var kept = items.Count(item => ClozeEvaluation.Tokenize(Model.Tokenizer, item).Reason is null);

        // Assert
        items.Count.ShouldBeInRange(45, 60);
        kept.ShouldBeGreaterThanOrEqualTo(items.Count - 3);
    }

    [Fact]
    public void The_file_takes_masked_sentence_or_lamas_masked_sentences_list_and_ignores_other_fields()
    {
        // Act
        var items = ClozeFile.Parse("f.jsonl", [
            "{\"masked_sentence\": \"Cows give [MASK].\", \"obj_label\": \"milk\", \"pred\": \"x\"}",
            "",
            "{\"sub\": \"alive\", \"masked_sentences\": [\"You breathe [MASK].\", \"other\"], \"obj_label\": \" air \"}",
        ]);

        // Assert
        items.ShouldBe([new ClozeItem(1, "Cows give [MASK].", "milk"), new ClozeItem(3, "You breathe [MASK].", "air")]);
    }

    [Theory]
    [InlineData("{\"obj_label\": \"milk\"}", "line 2 has no \"masked_sentence\"")]
    [InlineData("{\"masked_sentence\": \"Cows give [MASK].\"}", "line 2 has no \"obj_label\"")]
    [InlineData("{\"masked_sentence\": \"Cows give milk.\", \"obj_label\": \"milk\"}", "line 2 has no [MASK]")]
    [InlineData("{\"masked_sentence\": \"[MASK] give [MASK].\", \"obj_label\": \"milk\"}", "line 2 has more than one [MASK]")]
    [InlineData("{\"masked_sentence\": ", "line 2 is not valid JSON")]
    public void A_malformed_line_is_an_invalid_file_error_naming_its_line(string line, string message)
    {
        // Act
        var error = Should.Throw<SteerException>(() => ClozeFile.Parse("f.jsonl", ["{\"masked_sentence\": \"A [MASK].\", \"obj_label\": \"b\"}", line]));

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain("f.jsonl " + message);
    }

    private float[] LastLogits(IReadOnlyList<int> ids)
    {
        using var scope = NewDisposeScope();
        using var logits = Model.Logits(ids);                                 // [pos, vocab]
        return logits[ids.Count - 1].to(ScalarType.Float32).data<float>().ToArray();
    }
}

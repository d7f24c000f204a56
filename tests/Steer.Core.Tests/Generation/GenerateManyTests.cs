using Steer.Generation;
using Steer.Steering;
using Steer.Steering.Methods;

namespace Steer.Tests.Generation;

/// <summary>Mixed batches: each item keeps its own seed, budget, steering and cancellation, and its text does not depend on the batch.</summary>
public sealed class GenerateManyTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    private static readonly int[] Prompt = [50256, 40, 1816, 510, 284, 616, 1545, 290, 531]; // "I went up to my friend and said"
    private static readonly int[] Short = [50256, 40, 5465, 345, 780];                       // "I hate you because"
    private LanguageModel Model => models["formula-g1.json"];
    private SteeringVector LoveHate => ActAdd.Pair(Model, "Love", "Hate", 1, 5);

    private static GenerationOptions Sampled(long seed, int count = 1, int maxNewTokens = 12) =>
        new() { Seed = seed, Count = count, MaxNewTokens = maxNewTokens, Sampling = SamplingOptions.ActAddPost };

    [Fact]
    public void Completions_from_a_first_index_equal_those_completions_of_one_larger_run_steered_or_not()
    {
        // Arrange
        var whole = Sampled(seed: 3, count: 6);

        // Act
        var all = Model.Generate([Prompt], whole, LoveHate).Completions;
        var middle = Model.Generate([Prompt], whole with { FirstCompletion = 2, Count = 3 }, LoveHate).Completions;
        var last = Model.Generate([Prompt], whole with { FirstCompletion = 5, Count = 1 }).Completions;

        // Assert
        middle.ShouldBe(all.Skip(2).Take(3).ToList());
        last.ShouldHaveSingleItem().ShouldBe(Model.Generate([Prompt], whole).Completions[5]);
        all.Distinct(new ArrayComparer()).Count().ShouldBeGreaterThan(1, "the completions differ, so an index shift would show");
        Should.Throw<SteerException>(() => Model.Generate([Prompt], whole with { FirstCompletion = -1 })).Message.ShouldContain("first completion");
    }

    private sealed class ArrayComparer : IEqualityComparer<int[]>
    {
        public bool Equals(int[]? x, int[]? y) => x!.SequenceEqual(y!);
        public int GetHashCode(int[] obj) => obj.Length;
    }

    [Fact]
    public void Each_item_equals_generating_it_alone_with_its_own_seed_count_budget_and_steering()
    {
        // Arrange
        var items = new[]
        {
            new GenerationItem(Prompt, Sampled(seed: 0, count: 2)),
            new GenerationItem(Short, Sampled(seed: 5, maxNewTokens: 7)) { Steering = LoveHate },
            new GenerationItem(Prompt, Sampled(seed: 0, count: 3)) { Steering = LoveHate },
            new GenerationItem(Short, Sampled(seed: 9, maxNewTokens: 3)),
        };

        // Act
        var batched = Model.GenerateMany(items);

        // Assert
        batched.Count.ShouldBe(items.Length);
        for (var i = 0; i < items.Length; i++)
        {
            var alone = Model.Generate([items[i].Prompt], items[i].Options, items[i].Steering);
            batched[i].Completions.ShouldBe(alone.Completions, $"item {i}");
            batched[i].Seed.ShouldBe(items[i].Options.Seed!.Value);
            batched[i].PromptIds.ShouldHaveSingleItem().ShouldBe(items[i].Prompt);
            batched[i].Completions.ShouldAllBe(c => c.Length <= items[i].Options.MaxNewTokens);
        }
        batched[2].Completions.ShouldNotBe(batched[0].Completions.Concat(batched[0].Completions.Take(1)).ToList(), "steering reaches its own rows");
    }

    [Fact]
    public void Steering_one_item_leaves_an_identical_unsteered_item_in_the_same_batch_untouched()
    {
        // Arrange
        var options = Sampled(seed: 3, count: 2);

        // Act
        var batched = Model.GenerateMany([new GenerationItem(Prompt, options) { Steering = LoveHate }, new GenerationItem(Prompt, options)]);

        // Assert
        batched[1].Completions.ShouldBe(Model.Generate([Prompt], options).Completions);
        batched[0].Completions.ShouldBe(Model.Generate([Prompt], options, LoveHate).Completions);
        batched[0].Completions.ShouldNotBe(batched[1].Completions);
    }

    [Fact]
    public void Returning_false_from_on_token_ends_only_that_completion()
    {
        // Arrange
        var options = Sampled(seed: 1, count: 2, maxNewTokens: 10);
        var seen = new List<GeneratedToken>();

        // Act
        var result = Model.GenerateMany([new GenerationItem(Prompt, options)], token =>
        {
            seen.Add(token);
            return !(token.Completion == 0 && seen.Count(t => t.Completion == 0) == 3);
        }).Single();

        // Assert
        result.Completions[0].Length.ShouldBe(3);
        result.Completions[1].ShouldBe(Model.Generate([Prompt], options).Completions[1]);
        seen.Where(t => t.Completion == 1).Select(t => t.Id).ShouldBe(result.Completions[1]);
        seen.ShouldAllBe(t => t.Item == 0 && t.Logprobs == null);
    }

    [Fact]
    public void A_cancelled_item_stops_while_the_rest_of_the_batch_finishes()
    {
        // Arrange
        using var cancel = new CancellationTokenSource();
        var options = Sampled(seed: 2, maxNewTokens: 20);
        var items = new[] { new GenerationItem(Prompt, options) { Cancellation = cancel.Token }, new GenerationItem(Short, options) };
        var steps = 0;

        // Act
        var results = Model.GenerateMany(items, token =>
        {
            if (token.Item == 1 && ++steps == 4) cancel.Cancel();
            return true;
        });

        // Assert
        results[0].Completions.Single().Length.ShouldBe(4);
        results[1].Completions.ShouldBe(Model.Generate([Short], options).Completions);
    }

    [Fact]
    public void Cancelling_generate_throws_between_steps()
    {
        // Arrange
        using var cancel = new CancellationTokenSource();
        var produced = 0;

        // Act
        Should.Throw<OperationCanceledException>(() => Model.Generate([Prompt], Sampled(seed: 0, maxNewTokens: 30), onToken: (_, _) =>
        {
            if (++produced == 2) cancel.Cancel();
        }, cancellationToken: cancel.Token));

        // Assert
        produced.ShouldBe(2);
    }

    [Fact]
    public void Logprobs_are_the_models_log_probabilities_of_each_sampled_token_with_the_most_likely_alternatives()
    {
        // Arrange
        var options = Sampled(seed: 4, maxNewTokens: 6);
        var tokens = new List<GeneratedToken>();

        // Act
        var result = Model.GenerateMany([new GenerationItem(Prompt, options) { Logprobs = 3 }], token =>
        {
            tokens.Add(token);
            return true;
        }).Single();

        // Assert
        var ids = result.Completions.Single();
        var score = Model.Score([.. Prompt, .. ids]);
        for (var t = 0; t < ids.Length; t++)
        {
            var logprobs = tokens[t].Logprobs.ShouldNotBeNull();
            logprobs.Logprob.ShouldBe(score.TokenLogprobs[Prompt.Length - 1 + t], 1e-4);
            logprobs.Top.Count.ShouldBe(3);
            logprobs.Top.Select(p => p.Logprob).ShouldBeInOrder(SortDirection.Descending);
            logprobs.Top[0].Logprob.ShouldBeGreaterThanOrEqualTo(logprobs.Logprob);
        }
    }

    [Fact]
    public void Live_tensors_do_not_grow_across_repeated_mixed_batches_with_logprobs()
    {
        // Arrange: a server runs GenerateMany for as long as it is up.
        var vector = LoveHate;
        void Work() => Model.GenerateMany(
            [new GenerationItem(Prompt, Sampled(1, count: 2)) { Steering = vector, Logprobs = 2 }, new GenerationItem(Short, Sampled(2, maxNewTokens: 4))],
            _ => true);
        Work();
        var before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        // Act
        for (var i = 0; i < 5; i++) Work();

        // Assert
        TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount.ShouldBe(before);
    }

    [Fact]
    public void Items_with_different_sampling_options_are_refused()
    {
        // Act
        var error = Should.Throw<SteerException>(() => Model.GenerateMany(
            [new GenerationItem(Prompt, Sampled(0)), new GenerationItem(Prompt, Sampled(0) with { Sampling = SamplingOptions.Greedy })]));

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
        error.Message.ShouldContain("share sampling options");
    }

    [Fact]
    public void Validate_item_reports_a_prompt_shorter_than_its_vector_and_the_padded_length_under_the_pad_policy()
    {
        // Arrange
        int[] bosOnly = [50256];
        var item = new GenerationItem(bosOnly, Sampled(0)) { Steering = LoveHate };

        // Act
        var error = Should.Throw<SteerException>(() => Model.ValidateItem(item));
        var padded = Model.ValidateItem(item with { SteeringOptions = new SteeringOptions { ShortPrompt = ShortPromptPolicy.Pad } });

        // Assert
        error.Message.ShouldContain($"spans {LoveHate.Positions} positions");
        padded.ShouldBe(LoveHate.Positions);
        Model.ValidateItem(new GenerationItem(Prompt, Sampled(0))).ShouldBe(Prompt.Length);
    }
}

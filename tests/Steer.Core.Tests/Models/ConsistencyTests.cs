using Steer.Generation;
using Steer.Models.Gpt2;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Tests.Models;

/// <summary>Batching, padding and the KV cache change nothing but speed.</summary>
public sealed class ConsistencyTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    private LanguageModel Model => models["formula-g1.json"];

    private static readonly int[][] Prompts =
    [
        [50256, 40, 5465, 345, 780],
        [50256, 40, 1816, 510, 284, 616, 1545, 290, 531],
        [50256, 18565],
    ];

    [Fact]
    public void Batched_logits_of_different_lengths_equal_one_by_one_logits()
    {
        // Act
        using var batched = Model.Logits(Prompts);                          // [batch, pos, vocab]
        var pads = batched.PadLengths;

        // Assert
        for (var b = 0; b < Prompts.Length; b++)
        {
            using var single = Model.Logits(Prompts[b]);                     // [pos, vocab]
            using var row = batched.Values[b].narrow(0, pads[b], Prompts[b].Length);
            (row - single).abs().max().item<float>().ShouldBeLessThan(1e-4f);
        }
    }

    [Fact]
    public void Cached_decoding_equals_recomputing_the_whole_sequence()
    {
        // Arrange
        var options = new GenerationOptions { MaxNewTokens = 12, Sampling = SamplingOptions.Greedy };
        var prompt = Prompts[0];

        // Act
        var cached = Model.Generate([prompt], options).Completions.Single();
        var recomputed = new List<int>(prompt);
        for (var i = 0; i < options.MaxNewTokens; i++)
        {
            using var logits = Model.Logits(recomputed);
            recomputed.Add((int)logits[-1].argmax().item<long>());
        }

        // Assert
        cached.ShouldBe(recomputed.Skip(prompt.Length));
    }

    [Fact]
    public void Batched_generation_of_different_prompts_equals_one_by_one_generation()
    {
        // Arrange
        var options = new GenerationOptions { MaxNewTokens = 8, Sampling = SamplingOptions.Greedy };

        // Act
        var batched = Model.Generate(Prompts, options).Completions;
        var single = Prompts.Select(p => Model.Generate([p], options).Completions.Single()).ToList();

        // Assert
        batched.ShouldBe(single);
    }

    [Fact]
    public void Sampling_with_a_seed_repeats_exactly_and_a_different_seed_differs()
    {
        // Arrange
        var options = new GenerationOptions { MaxNewTokens = 20, Count = 3, Seed = 7, Sampling = new SamplingOptions { Temperature = 1.5 } };

        // Act
        var first = Model.Generate([Prompts[0]], options).Completions;
        var second = Model.Generate([Prompts[0]], options).Completions;
        var other = Model.Generate([Prompts[0]], options with { Seed = 8 }).Completions;

        // Assert
        second.ShouldBe(first);
        other.ShouldNotBe(first);
        first.Distinct(new SequenceComparer()).Count().ShouldBeGreaterThan(1, "the n rows of one batch are sampled independently");
    }

    [Fact]
    public void A_prompt_that_does_not_fit_the_context_is_rejected_with_both_lengths()
    {
        // Arrange
        var tooLong = Enumerable.Repeat(40, Model.Shape.ContextLength + 1).ToArray();

        // Act
        var error = Should.Throw<SteerException>(() => Model.Logits(tooLong));
        var generationError = Should.Throw<SteerException>(() =>
            Model.Generate([Prompts[0]], new GenerationOptions { MaxNewTokens = Model.Shape.ContextLength }));

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
        error.Message.ShouldContain($"{Model.Shape.ContextLength + 1} tokens");
        error.Message.ShouldContain($"context is {Model.Shape.ContextLength}");
        generationError.Message.ShouldContain("exceeds the model's context");
    }

    [Fact]
    public void Live_tensors_do_not_grow_across_repeated_calls()
    {
        // Arrange
        var options = new GenerationOptions { MaxNewTokens = 5, Seed = 1 };
        void Work()
        {
            using (Model.Logits(Prompts[0])) { }
            Model.Score(Prompts[1]);
            Model.Generate(Prompts, options);
            var (logits, cache) = Model.RunWithCache(Prompts[0]);
            logits.Dispose();
            cache.Dispose();
        }
        Work();
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        // Act
        for (var i = 0; i < 5; i++) Work();

        // Assert
        DisposeScopeManager.Statistics.ThreadTotalLiveCount.ShouldBe(before);
    }

    private sealed class SequenceComparer : IEqualityComparer<int[]>
    {
        public bool Equals(int[]? x, int[]? y) => x!.SequenceEqual(y!);
        public int GetHashCode(int[] obj) => obj.Length;
    }
}

using Steer.Architectures;
using Steer.Generation;
using Steer.Hooks;
using Steer.Models;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Tests.Parity;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Tests.Conformance;

/// <summary>
/// What every registered architecture must do, checked on its golden formula model: loading, reference logits,
/// hook points, ActAdd, greedy generation, the KV cache and batching. A new architecture passes this suite once it
/// has test data in <see cref="ArchitectureTestData"/>.
/// </summary>
public sealed class ArchitectureConformanceTests(ArchitectureModels models) : IClassFixture<ArchitectureModels>
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> ModelTypes => ArchitectureTestData.ModelTypes;

    /// <summary>
    /// Prompts of different lengths, encoded by the architecture's own tokenizer (with BOS where it has one; formula
    /// models of the Llama family get a byte-level one). The middle one is longer than a small sliding window.
    /// </summary>
    private static int[][] Prompts(LanguageModel model) =>
        new[] { "I hate you because", "I went up to my friend and said", "Love" }.Select(text => model.Tokenizer.Encode(text).ToArray()).ToArray();

    /// <summary>"Love" − "Hate" at layer 1, or "Hate" − "Love".</summary>
    private static SteeringVector LoveHate(LanguageModel model, bool swapped, double coeff) =>
        swapped ? ActAdd.Pair(model, "Hate", "Love", 1, coeff) : ActAdd.Pair(model, "Love", "Hate", 1, coeff);

    private static float MaxDifference(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void Loading_the_written_model_allocates_exactly_the_architectures_layout(string modelType)
    {
        // Arrange
        var (architecture, config, model, _) = models[modelType];

        // Assert
        ModelRegistry.For(config).ShouldBeSameAs(architecture);
        model.Parameters.Select(p => $"{p.Name} [{string.Join(", ", p.Shape)}]")
            .ShouldBe(architecture.Layout(config).Select(s => $"{s.Key} [{string.Join(", ", s.Value)}]"));
        model.Shape.ShouldBe(config.Shape);
        model.HookPoints.ShouldBe(architecture.HookPoints(config).Names);
        model.Tokenizer.VocabularySize.ShouldBeLessThanOrEqualTo(config.Shape.VocabSize);
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void Logits_match_the_architectures_golden_reference(string modelType)
    {
        // Arrange
        var (_, _, model, golden) = models[modelType];
        var cases = golden.GetProperty("cases").EnumerateArray().Where(c => c.GetProperty("op").GetString() == "logits").ToList();
        cases.ShouldNotBeEmpty();

        foreach (var c in cases)
        {
            var ids = c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();

            // Act
            using var logits = model.Logits(ids);                              // [pos, vocab]
            var score = model.Score(ids);

            // Assert
            ForwardParityTests.AssertLogits(logits, score.TokenLogprobs, c);
        }
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void Every_hook_point_fires_once_per_forward_pass_with_batch_and_positions_leading(string modelType)
    {
        // Arrange: a padded batch of two, so that both leading sizes are checked.
        var model = models[modelType].Model;
        var prompts = Prompts(model).Take(2).ToArray();
        var positions = prompts.Max(p => p.Length);
        var seen = new List<(string Name, long[] Shape)>();
        var observers = model.HookPoints.Select(name => (name, (HookFunction)((activation, context) =>
        {
            seen.Add((context.Name, activation.shape));
            return null;
        }))).ToList();

        // Act
        using (model.LogitsWith(prompts, observers)) { }

        // Assert: per-head attention tensors are [batch, heads, pos, keys]; everything else is [batch, pos, ...].
        seen.Select(s => s.Name).ShouldBe(model.HookPoints);
        foreach (var (name, shape) in seen)
        {
            shape[0].ShouldBe(2, name);
            (shape[1] == positions || shape.Length == 4 && shape[2] == positions).ShouldBeTrue($"{name} [{string.Join(", ", shape)}]");
        }
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void ActAdd_at_layer_1_steers_and_its_algebra_holds_bit_for_bit(string modelType)
    {
        // Arrange
        var model = models[modelType].Model;
        var prompt = Prompts(model)[0];
        Tensor Steered(SteeringVector vector)
        {
            using var steering = model.AddSteering(vector);
            return model.Logits(prompt);
        }
        var loveHate = LoveHate(model, swapped: false, 5);
        var hateLove = LoveHate(model, swapped: true, -5);

        // Act
        using var plain = model.Logits(prompt);
        using var steered = Steered(loveHate);
        using var zero = Steered(loveHate - loveHate);
        using var swapped = Steered(hateLove);

        // Assert
        MaxDifference(steered, plain).ShouldBeGreaterThan(1e-2f);
        zero.ShouldBeBitIdenticalTo(plain);
        hateLove.ApproximatelyEquals(loveHate, 0).ShouldBeTrue();
        swapped.ShouldBeBitIdenticalTo(steered);
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void Greedy_generation_is_deterministic_and_takes_the_argmax_of_uncached_logits_at_every_step(string modelType)
    {
        // Arrange
        var model = models[modelType].Model;
        var prompt = Prompts(model)[1];
        var options = new GenerationOptions { MaxNewTokens = 10, Sampling = SamplingOptions.Greedy, StopAtEndOfText = false };

        // Act
        var first = model.Generate([prompt], options).Completions.Single();
        var second = model.Generate([prompt], options).Completions.Single();
        var recomputed = new List<int>(prompt);
        for (var i = 0; i < options.MaxNewTokens; i++)
        {
            using var logits = model.Logits(recomputed);                       // [pos, vocab]
            recomputed.Add((int)logits[-1].argmax().item<long>());
        }

        // Assert
        second.ShouldBe(first);
        first.ShouldBe(recomputed.Skip(prompt.Length));
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void KV_cached_decoding_steps_give_the_logits_of_an_uncached_pass(string modelType)
    {
        // Arrange: the prompt pass runs on libtorch's GEMM and decoding steps on the small-batch kernels, so this also
        // checks that the architecture declared its linear layouts right.
        var model = models[modelType].Model;
        var sequence = Prompts(model)[1];
        const int prefix = 4;
        using var uncached = model.Logits(sequence);                           // [pos, vocab]
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cache = model.Transformer.CreateCache(1, sequence.Length);

        // Act
        var prompt = model.Transformer.Forward(model.Input([sequence[..prefix]], cache));   // [1, prefix, vocab]
        var steps = Enumerable.Range(prefix, sequence.Length - prefix)
            .Select(t => model.Transformer.Forward(model.Input([[sequence[t]]], cache))[0, 0]) // [vocab] each
            .ToList();

        // Assert
        MaxDifference(prompt[0], uncached.narrow(0, 0, prefix)).ShouldBeLessThan((float)Tolerance);
        for (var i = 0; i < steps.Count; i++)
            MaxDifference(steps[i], uncached[prefix + i]).ShouldBeLessThan((float)Tolerance, $"position {prefix + i}");
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void Rows_of_a_left_padded_batch_equal_the_same_rows_alone(string modelType)
    {
        // Arrange
        var model = models[modelType].Model;
        var prompts = Prompts(model);
        prompts.Select(p => p.Length).Distinct().Count().ShouldBe(prompts.Length);

        // Act
        using var batched = model.Logits(prompts);                              // [batch, pos, vocab]
        var pads = batched.PadLengths;

        // Assert
        for (var b = 0; b < prompts.Length; b++)
        {
            pads[b].ShouldBe(prompts.Max(p => p.Length) - prompts[b].Length);
            using var alone = model.Logits(prompts[b]);                         // [pos, vocab]
            MaxDifference(batched.Values[b].narrow(0, pads[b], prompts[b].Length), alone).ShouldBeLessThan((float)Tolerance, $"row {b}");
        }
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void Live_tensors_do_not_grow_across_repeated_steered_calls(string modelType)
    {
        // Arrange
        var model = models[modelType].Model;
        var prompts = Prompts(model);
        var vector = LoveHate(model, swapped: false, 5);
        var options = new GenerationOptions { MaxNewTokens = 5, Seed = 1 };
        void Work()
        {
            using (model.Logits(prompts[0])) { }
            model.Score(prompts[1], vector);
            model.Generate(prompts, options, vector, new SteeringOptions { ShortPrompt = ShortPromptPolicy.Truncate });
            var (logits, cache) = model.RunWithCache(prompts[0]);
            logits.Dispose();
            cache.Dispose();
        }
        Work();
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        // Act
        for (var i = 0; i < 3; i++) Work();

        // Assert
        DisposeScopeManager.Statistics.ThreadTotalLiveCount.ShouldBe(before);
    }
}

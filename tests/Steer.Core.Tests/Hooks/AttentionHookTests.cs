using Steer.Generation;
using Steer.Hooks;
using static TorchSharp.torch;

namespace Steer.Tests.Hooks;

/// <summary>The attention's hook points: scores, pattern, and replacing q, k, v, z or the pattern.</summary>
public sealed class AttentionHookTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    private static readonly int[] Ids = [50256, 40, 5465, 345, 780, 13];
    private static readonly int[] Short = [50256, 1212, 318];
    private LanguageModel Model => models["formula-g1.json"];
    private int HeadDim => Model.Shape.ModelDim / Model.Shape.Heads;

    /// <summary>Copies what each named point fires with, per pass, keeping the context.</summary>
    private sealed class Recorder : IDisposable
    {
        public List<(string Name, HookContext Context, Tensor Value)> Seen { get; } = [];

        public (string, HookFunction) At(string name)
        {
            HookFunction record = (activation, context) =>
            {
                Seen.Add((name, context, activation.detach().clone().DetachFromDisposeScope()));
                return null;
            };
            return (name, record);
        }

        public Tensor Single(string name, bool decoding = false) =>
            Seen.Single(s => s.Name == name && s.Context.IsDecodingStep == decoding).Value;

        public void Dispose()
        {
            foreach (var (_, _, value) in Seen) value.Dispose();
        }
    }

    /// <summary>
    /// The allowed keys written from the rule itself: a real query sees the real keys up to itself; a padding
    /// query sees only itself. [batch, 1, pos, past+pos].
    /// </summary>
    private static bool[,,] Allowed(IReadOnlyList<int> pads, long past, long positions)
    {
        var allowed = new bool[pads.Count, positions, past + positions];
        for (var b = 0; b < pads.Count; b++)
            for (var i = 0; i < positions; i++)
                for (var j = 0; j < past + positions; j++)
                    allowed[b, i, j] = j == past + i || (j <= past + i && j >= pads[b]);
        return allowed;
    }

    /// <summary>Scores are −∞ exactly at forbidden keys; the pattern is their row softmax and each row sums to 1.</summary>
    private static void CheckScoresAndPattern(Tensor scores, Tensor pattern, IReadOnlyList<int> pads, long past)
    {
        var positions = scores.shape[2];
        scores.shape.ShouldBe([pads.Count, scores.shape[1], positions, past + positions]);
        var allowed = Allowed(pads, past, positions);
        var isInf = scores.isneginf();
        for (var b = 0; b < pads.Count; b++)
            for (var i = 0; i < positions; i++)
                for (var j = 0; j < past + positions; j++)
                    isInf[b, 0, i, j].item<bool>().ShouldBe(!allowed[b, i, j], $"row {b}, query {i}, key {j}");
        var expected = scores.to(ScalarType.Float64).softmax(-1);
        (pattern.to(ScalarType.Float64) - expected).abs().max().item<double>().ShouldBeLessThan(1e-6);
        (pattern.to(ScalarType.Float64).sum(-1) - 1).abs().max().item<double>().ShouldBeLessThan(1e-5);
    }

    [Fact]
    public void Scores_are_scaled_q_dot_k_masked_with_minus_infinity_and_the_pattern_is_their_softmax()
    {
        using var recorder = new Recorder();
        using (Model.LogitsWith(Ids, [recorder.At(HookNames.Q(1)), recorder.At(HookNames.K(1)), recorder.At(HookNames.AttnScores(1)), recorder.At(HookNames.Pattern(1))])) { }

        var q = recorder.Single(HookNames.Q(1)).transpose(1, 2);                 // [1, head, pos, d_head]
        var k = recorder.Single(HookNames.K(1)).transpose(1, 2);
        var scores = recorder.Single(HookNames.AttnScores(1));                  // [1, head, pos, pos]
        var expected = q.matmul(k.transpose(2, 3)) / Math.Sqrt(HeadDim);
        var finite = scores.isfinite();
        (scores.masked_select(finite) - expected.masked_select(finite)).abs().max().item<float>().ShouldBeLessThan(1e-5f);
        CheckScoresAndPattern(scores, recorder.Single(HookNames.Pattern(1)), [0], 0);
    }

    [Fact]
    public void In_a_padded_batch_padding_keys_are_masked_and_a_padding_query_sees_itself()
    {
        using var recorder = new Recorder();
        using (var logits = Model.LogitsWith([Ids, Short], [recorder.At(HookNames.AttnScores(0)), recorder.At(HookNames.Pattern(0))]))
            CheckScoresAndPattern(recorder.Single(HookNames.AttnScores(0)), recorder.Single(HookNames.Pattern(0)), [.. logits.PadLengths], 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_decoding_step_attends_to_the_cache_with_the_same_rule(bool padded)
    {
        using var recorder = new Recorder();
        IReadOnlyList<int>[] prompts = padded ? [Ids, Short] : [Ids];
        Model.GenerateWith(prompts, new GenerationOptions { MaxNewTokens = 2, Sampling = SamplingOptions.Greedy },
            [recorder.At(HookNames.AttnScores(1)), recorder.At(HookNames.Pattern(1))]);

        var steps = recorder.Seen.Where(s => s.Context.IsDecodingStep && s.Name == HookNames.AttnScores(1)).ToList();
        steps.Count.ShouldBe(1, "the first step's token comes from the prompt pass; one step makes the second");
        var pads = padded ? new[] { 0, Ids.Length - Short.Length } : [0];
        var past = steps[0].Context.PastLength;
        past.ShouldBe(Ids.Length);
        steps[0].Context.PadLengths.ShouldBe(pads);
        CheckScoresAndPattern(recorder.Single(HookNames.AttnScores(1), decoding: true), recorder.Single(HookNames.Pattern(1), decoding: true), pads, past);
    }

    [Fact]
    public void A_no_op_pattern_hook_takes_the_explicit_path_and_matches_the_fused_kernel()
    {
        // Arrange
        var fired = 0;
        HookFunction observe = (_, _) =>
        {
            fired++;
            return null;
        };

        // Act
        using var fused = Model.Logits([Ids, Short]);
        using var explicitPath = Model.LogitsWith([Ids, Short], [(HookNames.Pattern(0), observe), (HookNames.AttnScores(1), observe)]);

        // Assert
        fired.ShouldBe(2);
        (explicitPath.Values - fused.Values).abs().max().item<float>().ShouldBeLessThan(1e-5f);
    }

    [Fact]
    public void Zeroing_one_heads_pattern_changes_the_logits_and_zeroes_its_z()
    {
        HookFunction zeroHead = (pattern, _) =>
        {
            pattern.select(1, 2).zero_();                                         // [batch, head, query, key]
            return null;
        };
        using var plain = Model.Logits(Ids);
        var (logits, cache) = Model.RunWithCacheWith(Ids, [HookNames.Z(0)], [(HookNames.Pattern(0), zeroHead)]);
        using (logits) using (cache)
        {
            cache[HookNames.Z(0)].select(2, 2).abs().max().item<float>().ShouldBe(0f);  // [batch, pos, head, d_head]
            cache[HookNames.Z(0)].select(2, 1).abs().max().item<float>().ShouldBeGreaterThan(0f);
            (logits - plain).abs().max().item<float>().ShouldBeGreaterThan(1e-4f);
        }
    }

    [Theory]
    [InlineData("hook_q")]
    [InlineData("hook_k")]
    [InlineData("hook_v")]
    [InlineData("hook_z")]
    [InlineData("hook_pattern")]
    public void A_replacement_of_an_attention_activation_takes_effect(string hook)
    {
        var name = $"blocks.0.attn.{hook}";
        HookFunction replace = (activation, _) => activation * 0.5;               // a new tensor, not an in-place edit
        using var plain = Model.Logits(Ids);
        var (logits, cache) = Model.RunWithCacheWith(Ids, [name], [(name, replace)]);
        using (logits) using (cache)
        {
            (logits - plain).abs().max().item<float>().ShouldBeGreaterThan(1e-4f);
            // The cache records after the caller's hooks, so it shows the replacement.
            var (_, clean) = Model.RunWithCache(Ids, [name]);
            using (clean) (cache[name] - clean[name] * 0.5).abs().max().item<float>().ShouldBe(0f);
        }
    }

    [Fact]
    public void The_kv_cache_keeps_the_hooked_keys_and_values()
    {
        // Arrange: zeroing v of block 0 in the prompt pass only. If the cache kept the unhooked values, the
        // decoding step would attend to different values than a full pass over the same tokens does.
        HookFunction zeroPromptValues = (v, context) => context.IsDecodingStep ? null : zeros_like(v);
        var options = new GenerationOptions { MaxNewTokens = 2, Sampling = SamplingOptions.Greedy };
        using var recorder = new Recorder();

        // Act
        var generated = Model.GenerateWith([Ids], options, [(HookNames.V(0), zeroPromptValues), recorder.At(HookNames.AttnOut(0))]);
        int[] tokens = [.. Ids, generated.Completions[0][0]];
        HookFunction zeroFirstValues = (v, _) =>
        {
            v.narrow(1, 0, Ids.Length).zero_();                                   // [batch, pos, head, d_head]
            return null;
        };
        var (logits, full) = Model.RunWithCacheWith(tokens, [HookNames.AttnOut(0)], [(HookNames.V(0), zeroFirstValues)]);

        // Assert: the step's attention output equals the full pass's at the new position.
        using (logits) using (full)
        {
            var step = recorder.Single(HookNames.AttnOut(0), decoding: true);    // [1, 1, d_model]
            (step - full[HookNames.AttnOut(0)].narrow(1, Ids.Length, 1)).abs().max().item<float>().ShouldBeLessThan(1e-5f);
        }
    }
}

using Steer.Evaluation;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Tests.Cli;
using TorchSharp;

namespace Steer.Tests.Evaluation;

/// <summary>The post's KL stress test on a formula model, against KLs computed here from the model's logits.</summary>
public sealed class KlStressTestTests(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private const string Prompt = "The bride smiled at the groom and said";

    private LanguageModel Model => fixture.Model;
    private SteeringVector Weddings => ActAdd.Pair(Model, " weddings", "", 1, 4);

    [Fact]
    public void Each_column_is_the_mean_KL_from_the_unsteered_distribution_over_the_mean_unsteered_entropy()
    {
        // Arrange
        var control = RandomControl.RandomLike(Weddings, seed: 3);
        var ids = Model.Tokenizer.Encode(Prompt);
        var unsteered = LogSoftmaxRows(Model, ids, null);
        var steered = LogSoftmaxRows(Model, ids, Weddings);
        var controlled = LogSoftmaxRows(Model, ids, control);
        var positions = Enumerable.Range(3, ids.Count - 3).ToList();
        double Mean(Func<int, double> f) => positions.Average(f);
        var entropy = Mean(p => -Sum(unsteered[p], (lp, _) => Math.Exp(lp) * lp));
        var klSteered = Mean(p => Sum(unsteered[p], (lp, v) => Math.Exp(lp) * (lp - steered[p][v])));
        var klControl = Mean(p => Sum(unsteered[p], (lp, v) => Math.Exp(lp) * (lp - controlled[p][v])));

        // Act
        var row = KlStressTest.Measure(Model, [Prompt], Weddings, control).Rows.ShouldHaveSingleItem();

        // Assert
        (row.Index, row.Tokens, row.Positions).ShouldBe((0, ids.Count, ids.Count - 3));
        klSteered.ShouldBeGreaterThan(1e-4);
        row.Entropy.ShouldBe(entropy, 1e-9 * entropy);
        row.KlSteered.ShouldBe(klSteered, 1e-9 * klSteered);
        row.KlControl.ShouldBe(klControl, 1e-9 * klControl);
        row.NormalisedSteered.ShouldBe(klSteered / entropy, 1e-9 * klSteered / entropy);
        row.NormalisedControl.ShouldBe(klControl / entropy, 1e-9 * klControl / entropy);
    }

    [Fact]
    public void Under_the_pad_policy_position_p_of_the_prompt_is_compared_with_the_padded_runs_position_p_plus_the_pads()
    {
        // Arrange: a 7-position vector on a 6-token prompt, so 6 spaces go after BOS in the steered run.
        var vector = ActAdd.Pair(Model, "Love is all around us today", "", 1, 3);
        var options = new SteeringOptions { ShortPrompt = ShortPromptPolicy.Pad };
        const string prompt = "I went up to him";
        var ids = Model.Tokenizer.Encode(prompt);
        var padded = Model.PrepareForSteering(ids, vector, options);
        var unsteered = LogSoftmaxRows(Model, ids, null);
        var steered = LogSoftmaxRows(Model, padded, vector, options);
        var shift = padded.Count - ids.Count;
        var klSteered = Enumerable.Range(3, ids.Count - 3)
            .Average(p => Sum(unsteered[p], (lp, v) => Math.Exp(lp) * (lp - steered[p + shift][v])));

        // Act
        var row = KlStressTest.Measure(Model, [prompt], vector, vector, options).Rows.ShouldHaveSingleItem();

        // Assert
        shift.ShouldBe(vector.Positions - 1);
        row.KlSteered.ShouldBe(klSteered, 1e-9 * klSteered);
    }

    [Fact]
    public void A_zero_vector_moves_nothing_and_an_identical_control_gives_the_same_column()
    {
        // Act
        var zero = KlStressTest.Measure(Model, [Prompt, "A ship sailed into the harbour at dawn"], Weddings * 0, RandomControl.RandomLike(Weddings * 0, 0));
        var same = KlStressTest.Measure(Model, [Prompt], Weddings, Weddings);

        // Assert
        zero.Rows.Count.ShouldBe(2);
        zero.Rows.ShouldAllBe(r => r.KlSteered == 0.0 && r.KlControl == 0.0 && r.Entropy > 0);
        var row = same.Rows.ShouldHaveSingleItem();
        row.KlControl.ShouldBe(row.KlSteered);
        row.KlSteered.ShouldBeGreaterThan(0);
        same.Summary!.ShareSteeredBelowControl.ShouldBe(0);
    }

    [Fact]
    public void Prompts_without_a_measured_position_or_shorter_than_the_vector_are_skipped_with_their_reason()
    {
        // Arrange: "Hi there" is BOS + 2 tokens; the long vector spans 7 positions.
        var longVector = ActAdd.Pair(Model, "Love is all around us today", "", 1, 3);
        string[] prompts = ["Hi there", Prompt, "I went up to him"];

        // Act
        var result = KlStressTest.Measure(Model, prompts, longVector, RandomControl.RandomLike(longVector, 0), firstIndex: 10);
        var fromOne = KlStressTest.Measure(Model, ["Hi there"], Weddings, Weddings, fromPosition: 1);
        var longControl = KlStressTest.Measure(Model, ["I went up to him"], Weddings, longVector);
        var truncated = KlStressTest.Measure(Model, ["I went up to him"], longVector, longVector, new SteeringOptions { ShortPrompt = ShortPromptPolicy.Truncate });

        // Assert
        result.Rows.Select(r => r.Index).ShouldBe([11]);
        result.Skipped.Select(s => (s.Index, s.Tokens)).ShouldBe([(10, 3), (12, 6)]);
        result.Skipped[0].Reason.ShouldBe("no position >= 3, only 0..2");
        result.Skipped[1].Reason.ShouldBe("shorter than the steering vector's 7 positions");
        result.Summary!.Skipped.ShouldBe(2);
        fromOne.Rows.ShouldHaveSingleItem().Positions.ShouldBe(2);
        longControl.Skipped.ShouldHaveSingleItem().Reason.ShouldBe("shorter than the control vector's 7 positions");
        truncated.Rows.ShouldHaveSingleItem().KlSteered.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void A_negative_first_position_and_a_control_of_another_width_are_refused()
    {
        // Arrange
        var narrow = new SteeringVector([new SteeringComponent("blocks.1.hook_resid_pre", 2, 32, new float[64])]);

        // Act
        var negative = Should.Throw<SteerException>(() => KlStressTest.Measure(Model, [Prompt], Weddings, Weddings, fromPosition: -1));
        var width = Should.Throw<SteerException>(() => KlStressTest.Measure(Model, [Prompt], Weddings, narrow));

        // Assert
        negative.Kind.ShouldBe(ErrorKind.InvalidArgument);
        negative.Message.ShouldContain("must not be negative, got -1");
        width.Message.ShouldContain("32 wide");
    }

    [Fact]
    public void The_summary_gives_means_medians_and_the_share_of_prompts_the_steering_moves_less_than_the_control()
    {
        // Arrange: normalised (steered, control) = (0.1, 0.3), (0.4, 0.2), (0.2, 0.5), (0.3, 0.3) with entropy 2.
        KlStressRow Row(int i, double s, double c) => new(i, "p", 5, 2, 2 * s, 2 * c, 2);
        KlStressRow[] rows = [Row(0, 0.1, 0.3), Row(1, 0.4, 0.2), Row(2, 0.2, 0.5), Row(3, 0.3, 0.3)];

        // Act
        var summary = KlStressSummary.Of(rows, skipped: 1)!;
        var odd = KlStressSummary.Of(rows[..3], 0)!;

        // Assert
        summary.Prompts.ShouldBe(4);
        summary.Skipped.ShouldBe(1);
        summary.MeanSteered.ShouldBe(0.25, 1e-15);
        summary.MeanControl.ShouldBe(0.325, 1e-15);
        summary.MedianSteered.ShouldBe(0.25, 1e-15);
        summary.MedianControl.ShouldBe(0.3, 1e-15);
        summary.ShareSteeredBelowControl.ShouldBe(0.5);
        summary.SteeredBelowControl.ShouldBe(2);
        odd.MedianSteered.ShouldBe(0.2, 1e-15);
        odd.MedianControl.ShouldBe(0.3, 1e-15);
        KlStressSummary.Of([], 3).ShouldBeNull();
    }

    [Fact]
    public void Combining_shards_concatenates_rows_and_skips_in_order()
    {
        // Arrange
        var a = new KlStressResult([new KlStressRow(0, "a", 5, 2, 1, 2, 3)], [new KlStressSkip(1, "b", 2, "short")]);
        var b = new KlStressResult([new KlStressRow(2, "c", 6, 3, 1, 1, 1)], []);

        // Act
        var combined = KlStressResult.Combine([a, b]);

        // Assert
        combined.Rows.Select(r => r.Index).ShouldBe([0, 2]);
        combined.Skipped.ShouldHaveSingleItem().Index.ShouldBe(1);
        combined.Summary!.Prompts.ShouldBe(2);
    }

    /// <summary>log-softmax of every position's logits, computed here in float64 from the model's float32 logits.</summary>
    private static double[][] LogSoftmaxRows(LanguageModel model, IReadOnlyList<int> ids, SteeringVector? vector, SteeringOptions? options = null)
    {
        float[] logits;
        long vocab;
        using (vector is null ? null : model.AddSteering(vector, options))
        using (var tensor = model.Logits(ids))
        {
            vocab = tensor.shape[1];
            using var cpu = tensor.to(torch.ScalarType.Float32).cpu();
            logits = cpu.data<float>().ToArray();
        }
        return Enumerable.Range(0, ids.Count).Select(p =>
        {
            var row = logits.AsSpan(p * (int)vocab, (int)vocab).ToArray().Select(x => (double)x).ToArray();
            var max = row.Max();
            var logSum = max + Math.Log(row.Sum(x => Math.Exp(x - max)));
            return row.Select(x => x - logSum).ToArray();
        }).ToArray();
    }

    private static double Sum(double[] logp, Func<double, int, double> term)
    {
        var sum = 0.0;
        for (var v = 0; v < logp.Length; v++) sum += term(logp[v], v);
        return sum;
    }
}

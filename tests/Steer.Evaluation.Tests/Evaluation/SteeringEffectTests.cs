using Steer.Evaluation;
using Steer.Evaluation.Reports;
using Steer.Evaluation.Sweeps;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Tests.Cli;

namespace Steer.Tests.Evaluation;

/// <summary>Effectiveness and disruption: the formulas on a four-token vocabulary, then on a formula model's logits.</summary>
public sealed class SteeringEffectTests(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private LanguageModel Model => fixture.Model;
    private SteeringVector Weddings(double coeff) => ActAdd.Pair(Model, " weddings", "", 1, coeff);
    private IReadOnlyList<int> Prompt => Model.Tokenizer.Encode("I'm excited because I'm going to a");
    private AlignedTokens Aligned => AlignedTokens.FromWords(Model.Tokenizer, "wedding,weddings,bride");

    private static double[] Log(params double[] p) => p.Select(x => Math.Log(x)).ToArray();

    [Fact]
    public void A_two_token_aligned_set_renormalises_each_set_before_its_KL()
    {
        // Arrange: T_A = {0, 1}. Unsteered (0.1, 0.2 | 0.3, 0.4), steered (0.3, 0.3 | 0.2, 0.2).
        bool[] aligned = [true, true, false, false];

        // Act
        var values = SteeringEffect.Compare(Log(0.1, 0.2, 0.3, 0.4), Log(0.3, 0.3, 0.2, 0.2), aligned);

        // Assert: within T_A (1/2, 1/2) against (1/3, 2/3); outside (1/2, 1/2) against (3/7, 4/7).
        var withinAligned = 0.5 * Math.Log(0.5 / (1.0 / 3)) + 0.5 * Math.Log(0.5 / (2.0 / 3));
        var withinOthers = 0.5 * Math.Log(0.5 / (3.0 / 7)) + 0.5 * Math.Log(0.5 / (4.0 / 7));
        values.Effectiveness.ShouldBe(Math.Log(2), 1e-14);
        values.Disruption.ShouldBe(0.6 * withinAligned + 0.4 * withinOthers, 1e-14);
        values.Disruption.ShouldBe(0.3 * Math.Log(1.125) + 0.2 * Math.Log(49.0 / 48), 1e-14);
        values.LogPAlignedUnsteered.ShouldBe(Math.Log(0.3), 1e-14);
        values.LogPAlignedSteered.ShouldBe(Math.Log(0.6), 1e-14);
    }

    [Fact]
    public void Disruption_is_the_whole_KL_less_the_KL_of_the_aligned_or_not_split()
    {
        // Arrange
        double[] unsteered = [0.05, 0.15, 0.25, 0.1, 0.45];
        double[] steered = [0.2, 0.1, 0.3, 0.3, 0.1];
        bool[] aligned = [true, false, true, false, false];
        var whole = unsteered.Zip(steered).Sum(p => p.Second * Math.Log(p.Second / p.First));
        var (inN, inS) = (0.05 + 0.25, 0.2 + 0.3);
        var split = inS * Math.Log(inS / inN) + (1 - inS) * Math.Log((1 - inS) / (1 - inN));

        // Act
        var values = SteeringEffect.Compare(Log(unsteered), Log(steered), aligned);

        // Assert
        values.Disruption.ShouldBe(whole - split, 1e-14);
        values.Effectiveness.ShouldBe(Math.Log(0.5 / 0.3), 1e-14);
    }

    [Fact]
    public void A_set_without_steered_probability_weighs_nothing_and_no_edge_case_is_NaN()
    {
        // Arrange
        var unsteered = Log(0.1, 0.2, 0.3, 0.4);

        // Act
        var noAligned = SteeringEffect.Compare(unsteered, Log(0, 0, 0.5, 0.5), [true, true, false, false]);
        var wholeVocabulary = SteeringEffect.Compare(unsteered, Log(0.25, 0.25, 0.25, 0.25), [true, true, true, true]);
        var newlyPossible = SteeringEffect.Compare(Log(0, 0, 0.5, 0.5), unsteered, [true, true, false, false]);

        // Assert: P_mod(T_A) = 0 leaves the other set's KL, weighted 1.
        noAligned.Effectiveness.ShouldBe(double.NegativeInfinity);
        noAligned.Disruption.ShouldBe(0.5 * Math.Log(0.5 / (3.0 / 7)) + 0.5 * Math.Log(0.5 / (4.0 / 7)), 1e-14);
        wholeVocabulary.Effectiveness.ShouldBe(0, 1e-15);
        wholeVocabulary.Disruption.ShouldBe(new[] { 0.1, 0.2, 0.3, 0.4 }.Sum(p => 0.25 * Math.Log(0.25 / p)), 1e-14);
        newlyPossible.Effectiveness.ShouldBe(double.PositiveInfinity);
        newlyPossible.Disruption.ShouldBe(double.PositiveInfinity);
        SteeringEffect.Compare(Log(0, 0, 0.5, 0.5), Log(0, 0, 0.5, 0.5), [true, true, false, false])
            .ShouldBe(new EffectValues(double.NegativeInfinity, double.NegativeInfinity, 0, 0));
    }

    [Fact]
    public void On_the_formula_model_both_values_equal_a_float64_hand_computation_from_the_logits()
    {
        // Arrange
        var vector = Weddings(4);
        var unsteered = Probabilities(Prompt, null);
        var steered = Probabilities(Prompt, vector);
        var aligned = Aligned.Ids.ToHashSet();

        // Act
        var result = SteeringEffect.Measure(Model, Prompt, vector, Aligned);

        // Assert
        result.Positions.Count.ShouldBe(Prompt.Count);
        for (var i = 0; i < Prompt.Count; i++)
        {
            var (pn, pm) = (unsteered[i], steered[i]);
            var (inN, inM) = (aligned.Sum(t => pn[t]), aligned.Sum(t => pm[t]));
            double WithinKl(bool inSet, double massM, double massN) =>
                Enumerable.Range(0, pm.Length).Where(t => aligned.Contains(t) == inSet)
                    .Sum(t => pm[t] / massM * Math.Log(pm[t] / massM / (pn[t] / massN)));
            var disruption = inM * WithinKl(true, inM, inN) + (1 - inM) * WithinKl(false, 1 - inM, 1 - inN);
            result.Positions[i].Values.Effectiveness.ShouldBe(Math.Log(inM) - Math.Log(inN), 1e-9);
            result.Positions[i].Values.Disruption.ShouldBe(disruption, 1e-9);
            result.Positions[i].Text.ShouldBe(Model.Tokenizer.TokenText(Prompt[i]));
        }
        result.Positions.Skip(2).ShouldContain(p => Math.Abs(p.Values.Effectiveness) > 1e-3);
    }

    [Fact]
    public void A_zero_vector_gives_exactly_0_for_both_at_every_position()
    {
        // Act
        var result = SteeringEffect.Measure(Model, Prompt, Weddings(0), Aligned, effect: new SteeringEffectOptions(IncludeMasked: true));

        // Assert
        result.Positions.ShouldAllBe(p => p.Values.Effectiveness == 0 && p.Values.Disruption == 0);
        result.MeanEffectiveness.ShouldBe(0);
        result.MeanDisruption.ShouldBe(0);
    }

    [Theory]
    [InlineData(-6)]
    [InlineData(2)]
    [InlineData(20)]
    public void Disruption_is_never_negative(double coeff)
    {
        // Act
        var result = SteeringEffect.Measure(Model, Prompt, Weddings(coeff), Aligned);

        // Assert
        result.Positions.ShouldAllBe(p => p.Values.Disruption >= 0 && double.IsFinite(p.Values.Effectiveness));
    }

    [Fact]
    public void The_positions_the_vector_spans_are_masked_and_left_out_of_the_means_unless_included()
    {
        // Act: " weddings" − "" spans BOS and one token.
        var masked = SteeringEffect.Measure(Model, Prompt, Weddings(4), Aligned);
        var all = SteeringEffect.Measure(Model, Prompt, Weddings(4), Aligned, effect: new SteeringEffectOptions(IncludeMasked: true));

        // Assert
        masked.VectorRows.ShouldBe(2);
        masked.Positions.Select(p => p.Masked).ShouldBe(Enumerable.Range(0, Prompt.Count).Select(i => i < 2));
        masked.Unmasked.ShouldBe(Prompt.Count - 2);
        masked.MeanEffectiveness!.Value.ShouldBe(masked.Positions.Skip(2).Average(p => p.Values.Effectiveness), 1e-12);
        masked.MeanDisruption!.Value.ShouldBe(masked.Positions.Skip(2).Average(p => p.Values.Disruption), 1e-12);
        all.Positions.ShouldAllBe(p => !p.Masked);
        all.Positions.Select(p => p.Values).ShouldBe(masked.Positions.Select(p => p.Values));
        all.MeanDisruption!.Value.ShouldBe(all.Positions.Average(p => p.Values.Disruption), 1e-12);
    }

    [Fact]
    public void A_vector_added_at_every_position_masks_nothing_and_a_padded_short_prompt_masks_only_BOS()
    {
        // Arrange
        var row = SteeringComponent.Row(ActAdd.HookPointOf(Model, 1), Weddings(4).Components[0].Row(1).ToArray());
        var shortPrompt = Model.Tokenizer.Encode("Hi");
        var threeRows = ActAdd.Pair(Model, " weddings and", "", 1, 4);

        // Act
        var everywhere = SteeringEffect.Measure(Model, Prompt, new SteeringVector([row]), Aligned);
        var padded = SteeringEffect.Measure(Model, shortPrompt, threeRows, Aligned, new SteeringOptions { ShortPrompt = ShortPromptPolicy.Pad });

        // Assert: "Hi" is [BOS, Hi]; the pads after BOS carry the vector's other rows, so "Hi" sits after them.
        everywhere.VectorRows.ShouldBe(0);
        everywhere.Positions.ShouldAllBe(p => !p.Masked);
        threeRows.Positions.ShouldBe(3);
        padded.Positions.Select(p => p.Masked).ShouldBe([true, false]);
    }

    [Theory]
    [InlineData(InjectionLocation.Mid, 4)]
    [InlineData(InjectionLocation.Back, 8)]
    public void The_masked_positions_follow_the_injection_location(InjectionLocation location, int first)
    {
        // Act: a two-row vector on the ten-token prompt.
        var result = SteeringEffect.Measure(Model, Prompt, Weddings(4), Aligned, new SteeringOptions { Location = location });

        // Assert
        result.Positions.Where(p => p.Masked).Select(p => p.Position).ShouldBe([first, first + 1]);
    }

    [Fact]
    public void At_position_reports_one_position_counting_negative_ones_from_the_end()
    {
        // Arrange
        var every = SteeringEffect.Measure(Model, Prompt, Weddings(4), Aligned);

        // Act
        var last = SteeringEffect.Measure(Model, Prompt, Weddings(4), Aligned, effect: new SteeringEffectOptions(AtPosition: -1));
        var first = SteeringEffect.Measure(Model, Prompt, Weddings(4), Aligned, effect: new SteeringEffectOptions(AtPosition: 1));
        var outside = Should.Throw<SteerException>(() =>
            SteeringEffect.Measure(Model, Prompt, Weddings(4), Aligned, effect: new SteeringEffectOptions(AtPosition: 10)));

        // Assert
        last.Positions.ShouldHaveSingleItem().ShouldBe(every.Positions[^1]);
        last.MeanEffectiveness.ShouldBe(every.Positions[^1].Values.Effectiveness);
        first.Positions.ShouldHaveSingleItem().Masked.ShouldBeTrue();
        first.MeanEffectiveness.ShouldBeNull();
        outside.Kind.ShouldBe(ErrorKind.InvalidArgument);
        outside.Message.ShouldContain("outside the prompt's 10 tokens");
    }

    [Fact]
    public void Aligned_words_are_read_after_a_space_trimmed_and_deduplicated()
    {
        // Act
        var aligned = AlignedTokens.FromWords(Model.Tokenizer, " wedding ,bride,, wedding");

        // Assert
        aligned.Ids.ShouldBe([Model.Tokenizer.Encode(" wedding", false).Single(), Model.Tokenizer.Encode(" bride", false).Single()]);
    }

    [Fact]
    public void Words_that_are_not_one_token_are_each_named_with_their_tokens()
    {
        // Arrange
        var pieces = Model.Tokenizer.Encode(" xyzzyqwv", false).Select(Model.Tokenizer.TokenText).ToList();

        // Act
        var error = Should.Throw<SteerException>(() => AlignedTokens.FromWords(Model.Tokenizer, "wedding,xyzzyqwv,bride,Grand Canyon"));

        // Assert
        pieces.Count.ShouldBeGreaterThan(1);
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
        error.Message.ShouldContain("\"xyzzyqwv\" (" + string.Join(" + ", pieces.Select(p => $"\"{p}\"")) + ")");
        error.Message.ShouldContain("\"Grand Canyon\"");
        error.Message.ShouldNotContain("\"bride\"");
    }

    [Fact]
    public void Literal_ids_must_lie_in_the_vocabulary_and_an_empty_set_is_refused()
    {
        // Act
        var ids = AlignedTokens.FromIds([10614, 37377, 10614], 50257);
        var outside = Should.Throw<SteerException>(() => AlignedTokens.FromIds([5, 50257, -1], 50257));
        var empty = Should.Throw<SteerException>(() => AlignedTokens.FromWords(Model.Tokenizer, " , "));

        // Assert
        ids.Ids.ShouldBe([10614, 37377]);
        outside.Message.ShouldContain("aligned token ids 50257, -1 outside the vocabulary (0..50256)");
        empty.Kind.ShouldBe(ErrorKind.InvalidArgument);
    }

    [Fact]
    public void The_sweep_metrics_write_both_means_and_plot_their_own_with_a_baseline_of_0()
    {
        // Arrange
        var expected = SteeringEffect.Measure(Model, Prompt, Weddings(3), Aligned);
        var grid = new SweepGrid([1], [0, 3]);

        // Act
        var results = new[] { SteeringEffectValue.Effectiveness, SteeringEffectValue.Disruption }
            .Select(value => Sweep.Run(new SteeringEffectSweepMetric(Model, Prompt, Aligned, "excited", value), grid, layer => Weddings(1)))
            .ToList();

        // Assert
        results.Select(r => r.ValueColumn).ShouldBe(["effectiveness", "disruption"]);
        foreach (var result in results)
        {
            result.Baselines["excited"].ShouldBe(0);
            SweepFiles.Csv(result).Split('\n')[0].ShouldBe("layer,coeff,topic,positions,effectiveness,disruption");
            result.Rows[0].Value("effectiveness").ShouldBe(0);
            result.Rows[0].Value("disruption").ShouldBe(0);
            result.Rows[1].Value("positions").ShouldBe(Prompt.Count - 2);
            result.Rows[1].Value("effectiveness").ShouldBe(expected.MeanEffectiveness!.Value, 1e-12);
            result.Rows[1].Value("disruption").ShouldBe(expected.MeanDisruption!.Value, 1e-12);
        }
    }

    [Fact]
    public void A_sweep_cell_whose_positions_are_all_masked_is_a_usage_error()
    {
        // Arrange
        var metric = new SteeringEffectSweepMetric(Model, Prompt, Aligned, "excited", SteeringEffectValue.Disruption, new SteeringEffectOptions(AtPosition: 0));

        // Act
        var error = Should.Throw<SteerException>(() => metric.Measure(Weddings(1), new SteeringOptions()));

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
        error.Message.ShouldContain("every measured position of the prompt is masked (the vector spans 2 positions)");
    }

    /// <summary>The next-token probabilities after every position, softmax in float64 by explicit loops over the logits.</summary>
    private double[][] Probabilities(IReadOnlyList<int> ids, SteeringVector? vector)
    {
        using var steering = vector is null ? null : Model.AddSteering(vector);
        using var logits = Model.Logits(ids);
        var vocab = (int)logits.shape[1];
        var values = logits.data<float>().ToArray();
        return Enumerable.Range(0, ids.Count).Select(i =>
        {
            var row = values.AsSpan(i * vocab, vocab).ToArray().Select(v => (double)v).ToArray();
            var max = row.Max();
            var z = row.Sum(v => Math.Exp(v - max));
            return row.Select(v => Math.Exp(v - max) / z).ToArray();
        }).ToArray();
    }
}

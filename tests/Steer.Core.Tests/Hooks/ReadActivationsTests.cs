using Steer.Hooks;
using Steer.Steering;
using Steer.Steering.Methods;

namespace Steer.Tests.Hooks;

/// <summary>Reading activations runs the model only as far as the requested hook points.</summary>
public sealed class ReadActivationsTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    private static readonly int[] Ids = [50256, 40, 5465, 345, 780];
    private LanguageModel Model => models["formula-g2.json"]; // three blocks, so there is a block after the stop

    /// <summary>Counts firings of every hook point, by name.</summary>
    private List<(string, HookFunction)> Counters(Dictionary<string, int> counts) =>
        Model.HookPoints.Select(name => (name, (HookFunction)((_, _) =>
        {
            counts[name] = counts.GetValueOrDefault(name) + 1;
            return null;
        }))).ToList();

    [Theory]
    [InlineData("hook_embed")]
    [InlineData("blocks.0.hook_resid_pre")]
    [InlineData("blocks.1.hook_resid_pre")]
    [InlineData("blocks.1.attn.hook_pattern")]
    [InlineData("blocks.1.hook_out")]
    [InlineData("ln_final.hook_normalized")]
    public void An_early_stopped_read_is_bit_identical_to_a_full_run(string name)
    {
        var (logits, full) = Model.RunWithCache(Ids, [name, HookNames.PosEmbed]);
        using var read = Model.ReadActivations(Ids, [name, HookNames.PosEmbed]);
        using (logits) using (full)
        {
            read[name].ShouldBeBitIdenticalTo(full[name]);
            read[HookNames.PosEmbed].ShouldBeBitIdenticalTo(full[HookNames.PosEmbed]);
        }
    }

    [Fact]
    public void Reading_resid_pre_of_a_block_runs_only_the_blocks_before_it()
    {
        // Arrange
        var counts = new Dictionary<string, int>();

        // Act
        using var read = Model.ReadActivationsWith(Ids, [HookNames.ResidPre(1)], Counters(counts));

        // Assert
        counts.GetValueOrDefault(HookNames.ResidPost(0)).ShouldBe(1);
        counts.GetValueOrDefault(HookNames.ResidPre(1)).ShouldBe(1);
        counts.Keys.Where(name => HookNames.LayerOf(name) is >= 1).ShouldBe([HookNames.ResidPre(1)], "block 1 itself does not run");
        counts.ContainsKey(HookNames.LnFinalNormalized).ShouldBeFalse();
    }

    [Fact]
    public void Reading_a_point_inside_a_block_runs_that_block_and_no_later_one()
    {
        var counts = new Dictionary<string, int>();
        using var read = Model.ReadActivationsWith(Ids, [HookNames.Q(1), HookNames.Embed], Counters(counts));
        counts.GetValueOrDefault(HookNames.ResidPost(1)).ShouldBe(1);
        counts.Keys.ShouldNotContain(name => HookNames.LayerOf(name) == 2);
        counts.ContainsKey(HookNames.LnFinalNormalized).ShouldBeFalse();
        read.Names.ShouldBe([HookNames.Q(1), HookNames.Embed], ignoreOrder: true);
    }

    [Fact]
    public void Building_an_ActAdd_vector_at_a_layer_runs_no_later_block()
    {
        // Arrange: a permanent hook on the block the vector is read before.
        var fired = 0;
        using var handle = Model.Hooks.Add(HookNames.ResidMid(1), (_, _) =>
        {
            fired++;
            return null;
        });

        // Act
        var vector = ActAdd.Pair(Model, "Love", "Hate", layer: 1, coeff: 5);

        // Assert
        fired.ShouldBe(0);
        vector.Components.Single().HookPoint.ShouldBe(HookNames.ResidPre(1));
    }

    [Fact]
    public void Reading_nothing_or_an_unknown_name_is_an_error_and_leaves_no_hook_attached()
    {
        Should.Throw<SteerException>(() => Model.ReadActivations(Ids, [])).Kind.ShouldBe(ErrorKind.InvalidArgument);
        Should.Throw<SteerException>(() => Model.ReadActivations(Ids, ["blocks.9.hook_resid_pre"])).Message.ShouldContain("blocks.{0..2}");
        Model.Hooks.Any.ShouldBeFalse();
    }
}

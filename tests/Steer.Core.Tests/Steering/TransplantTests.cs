using System.Text.Json;
using Steer.Steering;
using Steer.Steering.Methods;

namespace Steer.Tests.Steering;

/// <summary>The post's layer transplant ("0 → 20", "×2.90") on the 2-block g1 formula model: recorded at block 0, added at block 1.</summary>
public sealed class TransplantTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    private LanguageModel Model => models["formula-g1.json"];

    private static Addition LoveHate(bool rescale = false) => new()
    {
        Plus = "Love",
        Minus = "Hate",
        HookPoint = "blocks.1.hook_resid_pre",
        Coeff = 5,
        RecordHookPoint = "0",
        RescaleToHookPoint = rescale,
    };

    [Fact]
    public void A_transplanted_vector_holds_the_recording_layers_values_at_the_injection_layer()
    {
        var atZero = ActAdd.Pair(Model, "Love", "Hate", 0, 5);

        var transplanted = ActAdd.Build(Model, [LoveHate()]);

        var component = transplanted.Components.ShouldHaveSingleItem();
        component.HookPoint.ShouldBe("blocks.1.hook_resid_pre");
        component.Values.ShouldBe(atZero.Components[0].Values);
        var recorded = transplanted.Metadata.Additions.ShouldHaveSingleItem();
        recorded.RecordHookPoint.ShouldBe("blocks.0.hook_resid_pre");
        recorded.HookPoint.ShouldBe("blocks.1.hook_resid_pre");
        recorded.PadId.ShouldBe(220);
    }

    [Fact]
    public void Rescaling_multiplies_by_the_geometric_mean_of_the_norm_ratios_past_BOS()
    {
        var atZero = ActAdd.Pair(Model, "Love", "Hate", 0, 5).Components[0].PositionNorms();
        var atOne = ActAdd.Pair(Model, "Love", "Hate", 1, 5).Components[0].PositionNorms();
        // Positions 1 and 2 ("Love"/"Hate" and the pad): the product of the ratios, square-rooted.
        atZero.Length.ShouldBe(3);
        var expected = Math.Sqrt(atOne[1] / atZero[1] * (atOne[2] / atZero[2]));

        var rescaled = ActAdd.Build(Model, [LoveHate(rescale: true)]);

        var plain = ActAdd.Build(Model, [LoveHate()]).Components[0].Values;
        var values = rescaled.Components[0].Values;
        for (var i = 0; i < values.Length; i++) values[i].ShouldBe((float)(expected * plain[i]), Math.Abs(plain[i]) * 1e-6 + 1e-6);
        double.Parse(rescaled.Metadata.Properties["transplant_scale.blocks.0.hook_resid_pre->blocks.1.hook_resid_pre"],
            System.Globalization.CultureInfo.InvariantCulture).ShouldBe(expected, expected * 1e-12);
    }

    [Fact]
    public void Recording_at_the_injection_layer_is_the_plain_vector()
    {
        var plain = ActAdd.Pair(Model, "Love", "Hate", 1, 5);

        var same = ActAdd.Build(Model, [LoveHate(rescale: true) with { RecordHookPoint = "blocks.1.hook_resid_pre" }]);

        same.Components[0].Values.ShouldBe(plain.Components[0].Values);
    }

    [Fact]
    public void Rescaling_needs_a_recording_layer_and_a_recording_layer_must_exist()
    {
        Should.Throw<SteerException>(() => ActAdd.Build(Model, [LoveHate(rescale: true) with { RecordHookPoint = null }]))
            .Message.ShouldContain("--record-layer");
        Should.Throw<SteerException>(() => ActAdd.Build(Model, [LoveHate() with { RecordHookPoint = "7" }]))
            .Message.ShouldContain("out of range");
    }

    [Fact]
    public void A_transplant_survives_a_JSON_round_trip_and_plain_additions_keep_their_shape()
    {
        var built = ActAdd.Build(Model, [LoveHate(rescale: true)]).Metadata.Additions[0];

        var json = JsonSerializer.Serialize(built);
        var plainJson = JsonSerializer.Serialize(Addition.AtLayer(1, "Love", "Hate", 5));

        JsonSerializer.Deserialize<Addition>(json).ShouldBe(built);
        json.ShouldContain("\"record_hook_point\":\"blocks.0.hook_resid_pre\"");
        json.ShouldContain("\"rescale\":true");
        plainJson.ShouldNotContain("record");
        plainJson.ShouldNotContain("rescale");
    }
}

using System.Text.Json;
using Steer.Hooks;
using Steer.IO;
using Steer.Steering;
using Steer.Steering.Methods;
using static TorchSharp.torch;

namespace Steer.Tests.Steering;

public sealed class SteeringVectorFileTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>, IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("steer-vectors-");

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    [Fact]
    public void A_saved_vector_loads_back_identical_with_its_provenance()
    {
        // Arrange
        var model = models["formula-g1.json"];
        var vector = ActAdd.Pair(model, "Love", "Hate", 1, 5) + ActAdd.Single(model, " wedding", 0, 2);

        // Act
        SteeringVectorFile.Save(vector, PathOf("v.safetensors"));
        var loaded = SteeringVectorFile.Load(PathOf("v.safetensors"));

        // Assert
        loaded.ApproximatelyEquals(vector, 0).ShouldBeTrue();
        loaded.Components.Select(c => (c.HookPoint, c.Positions)).ShouldBe(vector.Components.Select(c => (c.HookPoint, c.Positions)));
        loaded.Metadata.Model.ShouldBe(model.Name);
        loaded.Metadata.Additions.ShouldBe(
        [
            new Addition { Plus = "Love", Minus = "Hate", HookPoint = "blocks.1.hook_resid_pre", Coeff = 5, PadId = 220 },
            new Addition { Plus = " wedding", HookPoint = "blocks.0.hook_resid_pre", Coeff = 2 },
        ]);
    }

    [Fact]
    public void The_additions_are_stored_with_snake_case_keys_and_round_trip_token_ids_and_unpadded_pairs()
    {
        // Arrange
        var model = models["formula-g1.json"];
        Addition[] additions =
        [
            Addition.AtLayer(1, "Love", "Hate", 5),
            new() { PlusIds = [50256, 18565], MinusIds = [50256], HookPoint = HookNames.ResidPre(1), Coeff = 3, Pad = false },
        ];
        var vector = ActAdd.Build(model, additions);

        // Act
        SteeringVectorFile.Save(vector, PathOf("v.safetensors"));
        var loaded = SteeringVectorFile.Load(PathOf("v.safetensors"));

        // Assert
        loaded.Metadata.Additions.ShouldBe(vector.Metadata.Additions);
        loaded.Metadata.Additions[0].PadId.ShouldBe(220);
        using var file = SafetensorsFile.Open(PathOf("v.safetensors"));
        using var json = JsonDocument.Parse(file.Metadata["steer.additions"]);
        json.RootElement[0].EnumerateObject().Select(p => p.Name).ShouldBe(["hook_point", "coeff", "plus", "minus", "pad_id"]);
        json.RootElement[1].EnumerateObject().Select(p => p.Name).ShouldBe(["hook_point", "coeff", "plus", "minus", "pad_id", "plus_ids", "minus_ids", "pad"]);
    }

    [Fact]
    public void A_file_written_with_the_former_pascal_case_keys_still_loads()
    {
        // Arrange: the metadata as files had it before, a padded pair, a single and an unpadded pair.
        const string additions = """
            [{"HookPoint":"blocks.1.hook_resid_pre","Coeff":5,"Plus":"Love","Minus":"Hate","PadId":220},
             {"HookPoint":"blocks.0.hook_resid_pre","Coeff":2,"Plus":" wedding","Minus":null,"PadId":null},
             {"HookPoint":"blocks.1.hook_resid_pre","Coeff":-4,"Plus":"Anger","Minus":"Calm","PadId":null}]
            """;
        using (var values = zeros(3, 64))
            SafetensorsWriter.Write(PathOf("old.safetensors"), [("blocks.1.hook_resid_pre", values)], new Dictionary<string, string>
            {
                ["steer.format"] = "steering-vector/1",
                ["steer.model"] = "gpt2",
                ["steer.additions"] = additions,
            });

        // Act
        var loaded = SteeringVectorFile.Load(PathOf("old.safetensors"));

        // Assert
        loaded.Metadata.Model.ShouldBe("gpt2");
        loaded.Metadata.Additions.ShouldBe(
        [
            Addition.AtLayer(1, "Love", "Hate", 5) with { PadId = 220 },
            Addition.AtLayer(0, " wedding", null, 2),
            Addition.AtLayer(1, "Anger", "Calm", -4) with { Pad = false },
        ]);
    }

    [Fact]
    public void The_file_is_plain_safetensors_with_one_tensor_per_hook_point()
    {
        var model = models["formula-g1.json"];
        SteeringVectorFile.Save(ActAdd.Pair(model, "Love", "Hate", 1, 5), PathOf("v.safetensors"));

        using var file = SafetensorsFile.Open(PathOf("v.safetensors"));

        var entry = file.Entries.ShouldHaveSingleItem();
        entry.Name.ShouldBe("blocks.1.hook_resid_pre");
        entry.DType.ShouldBe(SafetensorsDType.F32);
        entry.Shape.ShouldBe([3L, 64L]);
    }

    [Fact]
    public void A_file_that_is_not_a_steering_vector_is_refused()
    {
        // Arrange
        using (var weights = zeros(2, 3))
            SafetensorsWriter.Write(PathOf("other.safetensors"), [("wte.weight", weights)]);

        // Act / Assert
        var notVector = Should.Throw<SteerException>(() => SteeringVectorFile.Load(PathOf("other.safetensors")));
        notVector.Kind.ShouldBe(ErrorKind.InvalidModel);
        notVector.Message.ShouldContain("not a Steer steering vector");
        Should.Throw<SteerException>(() => SteeringVectorFile.Load(PathOf("missing.safetensors"))).Kind.ShouldBe(ErrorKind.NotFound);
        File.WriteAllBytes(PathOf("truncated.safetensors"), [1, 2, 3]);
        Should.Throw<SteerException>(() => SteeringVectorFile.Load(PathOf("truncated.safetensors"))).Kind.ShouldBe(ErrorKind.InvalidModel);
    }

    public void Dispose() => _directory.Delete(recursive: true);
}

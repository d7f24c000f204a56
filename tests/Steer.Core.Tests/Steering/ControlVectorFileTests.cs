using Steer.Generation;
using Steer.Hooks;
using Steer.IO.Gguf;
using Steer.Steering;
using Steer.Steering.Files;
using Steer.Tests.IO;

namespace Steer.Tests.Steering;

/// <summary>
/// llama.cpp control vectors: files written by llama.cpp's cvector-generator and by gguf-py (as repeng writes them)
/// steer the formula model g2 exactly as llama.cpp applied them (TestData/cvec/README.md), and Steer's own files
/// round-trip with the layer mapping direction.k = blocks.k.hook_resid_post.
/// </summary>
public sealed class ControlVectorFileTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private LanguageModel G2 => models["formula-g2.json"];

    // "I hate you because" without BOS, and llama.cpp's greedy continuations (TestData/cvec/README.md).
    private static readonly int[] Prompt = [40, 5465, 345, 780];

    private int[] Greedy(SteeringVector? vector) =>
        [.. G2.Generate([Prompt], new GenerationOptions { MaxNewTokens = 12, Sampling = SamplingOptions.Greedy, StopAtEndOfText = false }, vector)
            .Completions.Single()];

    private static int[] Repeat(params (int Id, int Count)[] runs) => runs.SelectMany(r => Enumerable.Repeat(r.Id, r.Count)).ToArray();

    [Fact]
    public void The_generator_file_loads_as_unit_vectors_after_blocks_1_and_2()
    {
        var vector = ControlVectorFile.Load(TestData.PathOf("cvec/g2-mean.gguf"), G2);

        vector.Components.Select(c => (c.HookPoint, c.Mode, c.Positions)).ShouldBe(
            [(HookNames.ResidPost(1), PositionMode.All, 1), (HookNames.ResidPost(2), PositionMode.All, 1)]);
        vector.Components.ShouldAllBe(c => Math.Abs(c.Norm() - 1) < 1e-5);
        vector.Metadata.Properties["model_hint"].ShouldBe("gpt2");
    }

    [Theory]
    [InlineData("none", 0)]
    [InlineData("cvec/g2-mean.gguf", 2)]
    [InlineData("cvec/g2-mean.gguf", 8)]
    [InlineData("cvec/random-l1.gguf", 1)]
    public void Greedy_text_equals_llama_cpps_with_the_same_file_and_scale(string file, double scale)
    {
        int[] expected = (file, scale) switch
        {
            ("none", _) => Repeat((46621, 4), (20780, 1), (6581, 7)),
            (_, 2) => Repeat((47511, 12)),
            (_, 8) => Repeat((29293, 3), (44277, 9)),
            _ => Repeat((41533, 12)),
        };
        var vector = file == "none" ? null : ControlVectorFile.Load(TestData.PathOf(file), G2) * scale;

        Greedy(vector).ShouldBe(expected);
    }

    [Fact]
    public void A_written_file_reads_back_with_the_same_directions_and_the_layer_mapping()
    {
        // Arrange: blocks.2.hook_resid_pre is block 1's output, so it joins blocks.1.hook_resid_post as direction.1.
        var d = G2.Shape.ModelDim;
        float[] Values(float seed) => Enumerable.Range(0, d).Select(i => MathF.Cos(i * seed)).ToArray();
        var vector = new SteeringVector(
        [
            SteeringComponent.Row(HookNames.ResidPost(1), Values(0.3f)),
            SteeringComponent.Row(HookNames.ResidPre(2), Values(0.5f)),
            SteeringComponent.Row(HookNames.ResidPost(2), Values(0.7f)),
        ]);
        var path = _directory.File("v.gguf");

        // Act
        ControlVectorFile.Save(vector, path, G2);
        var loaded = ControlVectorFile.Load(path, G2);
        using var file = GgufFile.Open(path);

        // Assert
        file.Tensors.Select(t => t.Name).ShouldBe(["direction.1", "direction.2"]);
        file.TryGetString("general.architecture", out var architecture).ShouldBeTrue();
        architecture.ShouldBe("controlvector");
        file.TryGetInteger("controlvector.layer_count", out var layers).ShouldBeTrue();
        layers.ShouldBe(2);
        var expected = new SteeringVector(
        [
            SteeringComponent.Row(HookNames.ResidPost(1), Values(0.3f).Zip(Values(0.5f), (a, b) => a + b).ToArray()),
            SteeringComponent.Row(HookNames.ResidPost(2), Values(0.7f)),
        ]);
        loaded.ApproximatelyEquals(expected, 0).ShouldBeTrue();
        Greedy(loaded).ShouldBe(Greedy(vector));
    }

    [Fact]
    public void What_the_format_cannot_express_is_refused_with_the_reason()
    {
        var d = G2.Shape.ModelDim;
        var row = new float[d];
        row[0] = 1;
        string Refusal(SteeringVector v) => Should.Throw<SteerException>(() => ControlVectorFile.Save(v, _directory.File("x.gguf"), G2)).Message;

        Refusal(Steer.Steering.Methods.ActAdd.Pair(G2, "Love", "Hate", 1, 5)).ShouldContain("rows for the front of the prompt; save it as .safetensors");
        Refusal(new([SteeringComponent.Row(HookNames.ResidPost(0), row)])).ShouldContain("start at block 1's output");
        Refusal(new([SteeringComponent.Row(HookNames.ResidPre(0), row)])).ShouldContain("start at block 1's output");
        Refusal(new([SteeringComponent.Row(HookNames.ResidMid(1), row)])).ShouldContain("is not a residual stream between blocks");
        Refusal(new([SteeringComponent.Row(HookNames.ResidPost(1), row, PositionMode.Prompt)])).ShouldContain("reaches prompt positions only");
        File.Exists(_directory.File("x.gguf")).ShouldBeFalse();
    }

    [Fact]
    public void Files_that_do_not_fit_the_model_or_the_format_are_refused()
    {
        var d = G2.Shape.ModelDim;
        string Refusal(params (string Name, long[] Dims, float[] Data)[] tensors)
        {
            var path = _directory.File($"bad-{Guid.NewGuid():N}.gguf");
            GgufWriter.Write(path, [("general.architecture", GgufValue.String("controlvector"))], tensors);
            return Should.Throw<SteerException>(() => ControlVectorFile.Load(path, G2)).Message;
        }

        Refusal(("direction.0", [d], new float[d])).ShouldContain("is not direction.k with a layer k ≥ 1");
        Refusal(("weights", [d], new float[d])).ShouldContain("is not direction.k");
        Refusal(("direction.1", [d + 1], new float[d + 1])).ShouldContain($"the model's d_model is {d}");
        Refusal(("direction.3", [d], new float[d])).ShouldContain("this model's blocks are 0..2");
        Refusal().ShouldContain("holds no direction tensors");
    }

    [Fact]
    public void Duplicated_layers_are_summed_as_llama_cpp_does()
    {
        // Two files for one layer, as two --vector flags: the same as one file holding their sum.
        var file = TestData.PathOf("cvec/random-l1.gguf");
        var once = ControlVectorFile.Load(file, G2);

        var twice = SteeringVectorFiles.Load(file, G2) + SteeringVectorFiles.Load(file, G2);

        twice.ApproximatelyEquals(once * 2, 1e-7).ShouldBeTrue();
    }
}

using Steer.Steering;
using Steer.Steering.Datasets;
using Steer.Steering.Methods;
using Steer.Tests.IO;

namespace Steer.Tests.Steering;

/// <summary>Dataset vectors from the statistics of runs of pairs read separately (shards), joined in order.</summary>
public sealed class DatasetShardTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    private static readonly ContrastivePair[] Pairs =
    [
        new("I love this, it is wonderful", "I hate this, it is awful"),
        new("What a great day", "What a terrible day"),
        new("She was happy and smiling", "She was sad and crying"),
        new("Good", "Bad news again, as always"),
        new("The food was delicious", "The food was disgusting"),
        new("We won", "We lost the final in the last minute"),
    ];

    private LanguageModel Model => models["formula-g1.json"];

    [Theory]
    [InlineData(VectorMethod.Caa)]
    [InlineData(VectorMethod.PcaDiff)]
    [InlineData(VectorMethod.PcaCenter)]
    public void Statistics_of_three_runs_saved_loaded_and_joined_give_the_vector_of_one_run(VectorMethod method)
    {
        // Arrange
        using var directory = new TempDirectory();
        var options = new DatasetVectorOptions { Method = method, Layers = [0, 1], BatchSize = 2 };
        var whole = DatasetVectors.Train(Model, Pairs, options);

        // Act
        var parts = new[] { (0, 2), (2, 1), (3, 3) }.Select((run, i) =>
        {
            var path = directory.File($"part{i}.safetensors");
            DatasetVectors.Read(Model, Pairs.Skip(run.Item1).Take(run.Item2).ToList(), options).Save(path, new Dictionary<string, string> { ["shard"] = $"{i}" });
            return DatasetStatistics.Load(path);
        }).ToList();
        var joined = DatasetVectors.FromStatistics(parts.Select(p => p.Statistics).ToList(), Model.Name);

        // Assert
        parts[1].Metadata["shard"].ShouldBe("1");
        parts.Select(p => p.Statistics.Pairs).ShouldBe([2, 1, 3]);
        VectorProperties.ShouldMatch(joined, whole);
        foreach (var (a, b) in joined.Components.Zip(whole.Components))
        {
            a.HookPoint.ShouldBe(b.HookPoint);
            a.Values.Zip(b.Values).Max(v => Math.Abs(v.First - v.Second)).ShouldBeLessThan(1e-6f);
        }
        whole.Components[0].Norm().ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Statistics_of_other_methods_or_hook_points_are_not_joined()
    {
        // Arrange
        var caa = DatasetVectors.Read(Model, Pairs.Take(2).ToList(), new DatasetVectorOptions { Layers = [0] });
        var otherLayer = DatasetVectors.Read(Model, Pairs.Take(2).ToList(), new DatasetVectorOptions { Layers = [1] });
        var pca = DatasetVectors.Read(Model, Pairs.Take(2).ToList(), new DatasetVectorOptions { Layers = [0], Method = VectorMethod.PcaDiff });

        // Act / Assert
        Should.Throw<SteerException>(() => DatasetVectors.FromStatistics([caa, otherLayer], "m")).Message.ShouldContain("different methods, tokens, models or hook points");
        Should.Throw<SteerException>(() => DatasetVectors.FromStatistics([caa, pca], "m")).Kind.ShouldBe(ErrorKind.InvalidArgument);
        Should.Throw<SteerException>(() => DatasetVectors.FromStatistics([], "m")).Message.ShouldContain("no dataset statistics");
    }

    [Fact]
    public void A_file_that_is_not_a_vector_shard_is_refused_in_words()
    {
        // Arrange: a steering vector file is safetensors too, but not a shard.
        using var directory = new TempDirectory();
        var path = directory.File("v.safetensors");
        SteeringVectorFile.Save(new SteeringVector([SteeringComponent.Row("blocks.0.hook_resid_pre", [1f, 2f])]), path);

        // Act
        var error = Should.Throw<SteerException>(() => DatasetStatistics.Load(path));

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain("not a vector shard file");
    }
}

using Steer.Steering;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>steer vector --method caa|pca-* --shard I/N and steer vector merge on a formula model.</summary>
public sealed class VectorShardSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string Dataset(int pairs = 7)
    {
        var path = _directory.File($"pairs{pairs}.jsonl");
        string[] positive = ["I love it", "What a great day", "She smiled", "We won the cup", "Lovely", "A warm welcome home", "Thanks a lot"];
        string[] negative = ["I hate it", "What a terrible day", "She cried all night", "We lost", "Awful", "A cold goodbye", "No thanks"];
        File.WriteAllLines(path, Enumerable.Range(0, pairs).Select(i => $$"""{"positive": "{{positive[i]}}", "negative": "{{negative[i]}}"}"""));
        return path;
    }

    [Theory]
    [InlineData("caa")]
    [InlineData("pca-center")]
    public void Three_shards_merged_give_the_vector_of_one_process(string method)
    {
        // Arrange
        string[] args = ["vector", "--model", fixture.Directory, "--method", method, "--dataset", Dataset(), "--batch-size", "2"];
        Cli.Run([.. args, "--out", _directory.File("whole.safetensors")]).ExitCode.ShouldBe(0);

        // Act
        var shards = Enumerable.Range(0, 3).Select(i => Cli.Run([.. args, "--shard", $"{i}/3", "--out", _directory.File("shards")])).ToList();
        var merge = Cli.Run("vector", "merge", _directory.File("shards"), "--out", _directory.File("merged.safetensors"));

        // Assert
        shards.ShouldAllBe(s => s.ExitCode == 0);
        shards[2].Output.ShouldContain("vector-shard-0002-of-0003.safetensors");
        merge.ExitCode.ShouldBe(0, merge.Error);
        merge.Error.ShouldContain($"{method} from 7 pairs");
        var whole = SteeringVectorFile.Load(_directory.File("whole.safetensors"));
        var merged = SteeringVectorFile.Load(_directory.File("merged.safetensors"));
        VectorProperties.ShouldMatch(merged, whole);
        merged.ApproximatelyEquals(whole, 1e-6).ShouldBeTrue();
        merged.Components.Count.ShouldBe(2);
    }

    [Fact]
    public void Merge_names_a_missing_shard_refuses_another_dataset_and_gguf()
    {
        // Arrange
        string[] args = ["vector", "--model", fixture.Directory, "--method", "caa"];
        Cli.Run([.. args, "--dataset", Dataset(), "--shard", "0/2", "--out", _directory.File("a")]).ExitCode.ShouldBe(0);
        Cli.Run([.. args, "--dataset", Dataset(pairs: 6), "--shard", "1/2", "--out", _directory.File("b")]).ExitCode.ShouldBe(0);

        // Act
        var missing = Cli.Run("vector", "merge", _directory.File("a"), "--out", _directory.File("v.safetensors"));
        var foreign = Cli.Run("vector", "merge", _directory.File("a"), _directory.File("b"), "--out", _directory.File("v.safetensors"));
        var gguf = Cli.Run("vector", "merge", _directory.File("a"), "--out", _directory.File("v.gguf"));
        var actadd = Cli.Run("vector", "--model", fixture.Directory, "--plus", "a", "--minus", "b", "--layer", "1", "--coeff", "1", "--shard", "0/2", "--out", _directory.File("c"));

        // Assert
        missing.ExitCode.ShouldBe(3);
        missing.Error.ShouldContain("shard 1/2 of this vector is missing (vector-shard-0001-of-0002.safetensors)");
        foreign.ExitCode.ShouldBe(2);
        foreign.Error.ShouldContain("belongs to another vector");
        gguf.ExitCode.ShouldBe(2);
        gguf.Error.ShouldContain("merge writes .safetensors");
        actadd.ExitCode.ShouldBe(2);
        actadd.Error.ShouldContain("--shard splits a dataset's pairs");
        File.Exists(_directory.File("v.safetensors")).ShouldBeFalse();
    }
}

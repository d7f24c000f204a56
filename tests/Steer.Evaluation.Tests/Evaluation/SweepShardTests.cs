using Steer.Evaluation.Reports;
using Steer.Evaluation.Sweeps;
using Steer.Sharding;
using Steer.Steering;
using Steer.Tests.IO;

namespace Steer.Tests.Evaluation;

/// <summary>A sweep split into shards, written as shard files and merged: the files one process writes, byte for byte.</summary>
public sealed class SweepShardTests
{
    private static readonly SweepGrid Grid = new([0, 2, 3, 5], [-1, 0.5, 4]);
    private static readonly KeyValuePair<string, string>[] Settings = [new("model", "fake"), new("prompt", "I went up to my friend, \"and\" said")];

    /// <summary>
    /// Values of every type a metric stores (int, double, string), including NaN, an infinity and text that CSV
    /// must quote, all computed from the vector, so that a wrong cell or order shows.
    /// </summary>
    private sealed class FakeMetric : ISweepMetric
    {
        public string Name => "fake";
        public string ValueColumn => "value";
        public string ValueLabel => "a value ‖ of the vector";
        public IReadOnlyList<string> Columns { get; } = ["count", "value", "token", "odd"];
        public IReadOnlyList<string> Topics { get; } = ["a", "bé"];

        public IReadOnlyDictionary<string, double> Baseline() => new Dictionary<string, double> { ["a"] = 0.1, ["bé"] = double.NaN };

        public double CellCost(int layer) => 6 + layer;

        public IReadOnlyList<SweepMeasurement> Measure(SteeringVector vector, SteeringOptions options) => Topics.Select((topic, t) =>
        {
            var values = vector.Components[0].Values;
            return new SweepMeasurement(topic, new Dictionary<string, object>
            {
                ["count"] = (int)Math.Round(values[0]) + t,
                ["value"] = values[1] / 3.0 + t,
                ["token"] = t == 0 ? " wedding" : "a,\"b\"",
                ["odd"] = values[1] < 0 ? double.NegativeInfinity : values[1] > 5 ? double.NaN : 1e-300 * values[1],
            });
        }).ToList();
    }

    private static SteeringVector UnitAt(int layer) =>
        new([SteeringComponent.Row($"blocks.{layer}.hook_resid_pre", [layer + 1, 1.7f * (layer + 1)])]);

    private static SweepResult Run(SweepGrid grid, Shard? shard = null) =>
        Sweep.Run(new FakeMetric(), grid, UnitAt, cells: shard is null ? null : grid.CellsOf(shard, grid.LayerCosts(new FakeMetric())));

    private static SweepShardFile ShardFile(SweepGrid grid, Shard shard)
    {
        var result = Run(grid, shard);
        var json = SweepFiles.SettingsElement(new { model = "fake", details = Settings.ToDictionary() });
        var costs = grid.LayerCosts(new FakeMetric());
        return new SweepShardFile(shard, costs, SweepShardFile.FingerprintOf(result, costs, Settings, json, ["inputs"]), Settings, json, result);
    }

    private static List<(string, SweepShardFile)> WriteAndRead(SweepGrid grid, int count, string directory) =>
        Enumerable.Range(0, count).Select(i => ShardFile(grid, new Shard(i, count)).Write(directory))
            .Select(path => (path, SweepShardFile.Read(path))).ToList();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(12)]
    [InlineData(17)]
    public void Merged_shards_write_the_files_of_one_process_byte_for_byte(int count)
    {
        // Arrange
        using var directory = new TempDirectory();
        var whole = ShardFile(Grid, Shard.Whole);
        SweepReport.Write(whole.Result, directory.File("whole"), Settings.Select(s => (s.Key, s.Value)).ToList(), whole.JsonSettings);

        // Act
        var merged = SweepMerge.Merge(WriteAndRead(Grid, count, directory.File("shards")));
        SweepReport.Write(merged.Result, directory.File("merged"), merged.Settings.Select(s => (s.Key, s.Value)).ToList(), merged.JsonSettings);

        // Assert
        var files = Directory.GetFiles(directory.File("whole")).Select(Path.GetFileName).Order().ToList();
        files.Count.ShouldBe(3 + 2 * (Grid.Layers.Count + Grid.Coeffs.Count));
        Directory.GetFiles(directory.File("merged")).Select(Path.GetFileName).Order().ShouldBe(files);
        foreach (var file in files)
            File.ReadAllBytes(Path.Combine(directory.File("merged"), file!)).SequenceEqual(File.ReadAllBytes(Path.Combine(directory.File("whole"), file!))).ShouldBeTrue($"{file} differs");
        merged.Result.Rows.Count.ShouldBe(Grid.Count * 2);
        merged.Shard.ShouldBe(Shard.Whole);
    }

    [Fact]
    public void Shards_take_runs_of_equal_cost_so_cheap_layers_give_more_cells()
    {
        // Arrange: cells at layer 0 cost 3 times those at layer 5 (a perplexity sweep's order).
        var grid = new SweepGrid([0, 5], [1, 2, 3, 4]);
        IReadOnlyList<double> costs = [3, 1];

        // Act
        var first = grid.CellsOf(new Shard(0, 2), costs);
        var second = grid.CellsOf(new Shard(1, 2), costs);

        // Assert: a total of 16 halves at 8, inside the third cell, whose midpoint (7.5) is in the first half.
        first.ShouldBe([(0, 1.0), (0, 2.0), (0, 3.0)]);
        second.ShouldBe([(0, 4.0), (5, 1.0), (5, 2.0), (5, 3.0), (5, 4.0)]);
        Should.Throw<ArgumentException>(() => grid.CellsOf(new Shard(0, 2), [1]));
        Should.Throw<ArgumentException>(() => grid.CellsOf(new Shard(0, 2), [1, double.NaN]));
    }

    [Fact]
    public void A_shard_file_keeps_every_value_and_its_type()
    {
        // Arrange
        using var directory = new TempDirectory();
        var shard = ShardFile(Grid, new Shard(1, 3));

        // Act
        var read = SweepShardFile.Read(shard.Write(directory.Path));

        // Assert
        read.Result.Rows.Count.ShouldBe(shard.Result.Rows.Count);
        foreach (var (expected, actual) in shard.Result.Rows.Zip(read.Result.Rows))
        {
            (actual.Layer, actual.Coeff, actual.Topic).ShouldBe((expected.Layer, expected.Coeff, expected.Topic));
            foreach (var column in shard.Result.Columns)
            {
                actual.Values[column].GetType().ShouldBe(expected.Values[column].GetType());
                actual.Values[column].ShouldBe(expected.Values[column]);
            }
        }
        double.IsNaN(read.Result.Baselines["bé"]).ShouldBeTrue();
        read.Fingerprint.ShouldBe(shard.Fingerprint);
        read.Settings.ShouldBe(Settings);
    }

    [Fact]
    public void A_missing_shard_is_an_error_that_names_it()
    {
        // Arrange
        using var directory = new TempDirectory();
        var shards = WriteAndRead(Grid, 4, directory.Path);
        shards.RemoveAt(2);

        // Act
        var error = Should.Throw<SteerException>(() => SweepMerge.Merge(shards));

        // Assert
        error.Kind.ShouldBe(ErrorKind.NotFound);
        error.Message.ShouldContain("shard 2/4 of this sweep is missing (sweep-shard-0002-of-0004.json)");
    }

    [Fact]
    public void A_shard_given_twice_is_refused()
    {
        // Arrange
        using var directory = new TempDirectory();
        var shards = WriteAndRead(Grid, 3, directory.File("one"));
        var again = ShardFile(Grid, new Shard(1, 3)).Write(directory.File("two"));
        shards.Add((again, SweepShardFile.Read(again)));

        // Act
        var error = Should.Throw<SteerException>(() => SweepMerge.Merge(shards));

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
        error.Message.ShouldContain("shard 1/3 is given twice");
    }

    [Fact]
    public void A_shard_of_another_sweep_is_refused()
    {
        // Arrange: the same shard count, other coefficients.
        using var directory = new TempDirectory();
        var shards = WriteAndRead(Grid, 2, directory.File("one"));
        var other = ShardFile(Grid with { Coeffs = [-1, 0.5, 5] }, new Shard(1, 2)).Write(directory.File("two"));
        shards[1] = (other, SweepShardFile.Read(other));

        // Act
        var error = Should.Throw<SteerException>(() => SweepMerge.Merge(shards));

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
        error.Message.ShouldContain($"{other} belongs to another sweep");
        error.Message.ShouldContain("fingerprint");
    }

    [Fact]
    public void A_shard_count_that_differs_is_another_sweep()
    {
        // Arrange
        using var directory = new TempDirectory();
        var shards = WriteAndRead(Grid, 2, directory.File("one"));
        shards.AddRange(WriteAndRead(Grid, 3, directory.File("two")).Take(1));

        // Act
        var error = Should.Throw<SteerException>(() => SweepMerge.Merge(shards));

        // Assert
        error.Message.ShouldContain("it is one of 3 shards, not 2");
    }

    [Fact]
    public void A_truncated_or_foreign_file_is_refused_with_its_path()
    {
        // Arrange
        using var directory = new TempDirectory();
        var path = ShardFile(Grid, new Shard(0, 2)).Write(directory.Path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var foreign = directory.Write("sweep-shard-0001-of-0002.json", """{"format": "something-else", "version": 1}""");

        // Act
        var truncated = Should.Throw<SteerException>(() => SweepShardFile.Read(path));
        var other = Should.Throw<SteerException>(() => SweepShardFile.Read(foreign));

        // Assert
        truncated.Kind.ShouldBe(ErrorKind.InvalidModel);
        truncated.Message.ShouldStartWith($"{path} is not a readable sweep shard file");
        other.Message.ShouldContain("\"format\" is not \"steer-sweep-shard\"");
    }

    [Theory]
    [InlineData("[\"7\"]")]
    [InlineData("[\"7\", \"NaN\", \"9\", \"11\"]")]
    [InlineData("[\"7\", \"-1\", \"9\", \"11\"]")]
    public void A_shard_whose_layer_costs_were_edited_is_refused_as_unreadable(string costs)
    {
        // Arrange: the grid has 4 layers.
        using var directory = new TempDirectory();
        var path = ShardFile(Grid, new Shard(0, 2)).Write(directory.Path);
        var text = File.ReadAllText(path);
        var start = text.IndexOf("\"layer_costs\"", StringComparison.Ordinal);
        var end = text.IndexOf(']', start) + 1;
        File.WriteAllText(path, text[..start] + "\"layer_costs\": " + costs + text[end..]);

        // Act
        var error = Should.Throw<SteerException>(() => SweepShardFile.Read(path));

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain("\"layer_costs\" needs one finite cost of 0 or more for each of the 4 layers");
    }

    [Fact]
    public void A_shard_whose_rows_were_edited_is_refused()
    {
        // Arrange: drop the last row of shard 0's file.
        using var directory = new TempDirectory();
        var shards = WriteAndRead(Grid, 2, directory.Path);
        var (path, first) = shards[0];
        shards[0] = (path, first with { Result = first.Result with { Rows = first.Result.Rows.SkipLast(1).ToList() } });

        // Act
        var error = Should.Throw<SteerException>(() => SweepMerge.Merge(shards));

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain("does not hold the rows of shard 0/2");
    }

    [Fact]
    public void Find_lists_the_shard_files_of_each_directory_in_order_and_refuses_a_directory_without_any()
    {
        // Arrange
        using var directory = new TempDirectory();
        WriteAndRead(Grid, 3, directory.File("shards"));
        directory.Write("shards/notes.txt", "not a shard");
        Directory.CreateDirectory(directory.File("empty"));

        // Act
        var found = SweepMerge.Find([directory.File("shards")]);
        var error = Should.Throw<SteerException>(() => SweepMerge.Find([directory.File("empty")]));

        // Assert
        found.Select(Path.GetFileName).ShouldBe(["sweep-shard-0000-of-0003.json", "sweep-shard-0001-of-0003.json", "sweep-shard-0002-of-0003.json"]);
        error.Kind.ShouldBe(ErrorKind.NotFound);
        error.Message.ShouldContain("holds no sweep shard files");
    }
}

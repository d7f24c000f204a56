using Steer.Evaluation;
using Steer.Evaluation.Sharding;
using Steer.Sharding;
using Steer.Tests.IO;

namespace Steer.Tests.Evaluation;

/// <summary>Splitting an evaluation's texts into shards and joining what the shards measured.</summary>
public sealed class EvalShardTests
{
    private static readonly Topic[] Topics =
    [
        new("weddings", ["The bride and groom cut the cake.", "They married in June.", "A long wedding toast went on and on and on."]),
        new("shipping", ["The container ship left the port.", "Freight rates fell.", "Cranes unloaded the vessel overnight.", "A tug pulled it."]),
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(9)]
    public void Shards_take_every_sentence_once_in_order_and_keep_every_topic(int count)
    {
        // Act
        var shards = Enumerable.Range(0, count).Select(i => Topic.ShardOf(Topics, new Shard(i, count))).ToList();

        // Assert
        shards.ShouldAllBe(s => s.Select(t => t.Name).SequenceEqual(new[] { "weddings", "shipping" }));
        for (var t = 0; t < Topics.Length; t++)
            shards.SelectMany(s => s[t].Sentences).ShouldBe(Topics[t].Sentences);
    }

    [Fact]
    public void Combining_shards_adds_sentences_tokens_and_sums_and_recomputes_the_perplexities()
    {
        // Arrange
        var a = TopicPerplexity.Of("w", 2, 1, new PerplexitySums(10, -20, -15, 5));
        var b = TopicPerplexity.Of("w", 3, 0, new PerplexitySums(30, -90, -93, -3));

        // Act
        var combined = TopicPerplexity.Combine([[a], [b]]).ShouldHaveSingleItem();

        // Assert
        (combined.Sentences, combined.Skipped, combined.Tokens).ShouldBe((5, 1, 40));
        combined.PerplexityUnsteered.ShouldBe(Math.Exp(110.0 / 40), 1e-12);
        combined.PerplexitySteered.ShouldBe(Math.Exp(108.0 / 40), 1e-12);
        combined.Ratio.ShouldBe(Math.Exp(-2.0 / 40), 1e-12);
        Should.Throw<SteerException>(() => TopicPerplexity.Combine([[a], [b with { Name = "s" }]])).Message.ShouldContain("other topics");
    }

    [Fact]
    public void A_shard_file_round_trips_and_a_set_with_a_gap_a_twin_or_a_stranger_is_refused()
    {
        // Arrange
        using var directory = new TempDirectory();
        EvalShardFile File(int index, string fingerprint = "abcdef0123456789", string metric = "perplexity") =>
            new(metric, new Shard(index, 3), fingerprint, EvalShardFile.ToElement(new { Model = "m" }), EvalShardFile.ToElement(new[] { index }));
        var paths = Enumerable.Range(0, 3).Select(i => File(i).Write(directory.Path)).ToList();
        var read = paths.Select(p => (p, EvalShardFile.Read(p))).ToList();

        // Act
        var ordered = EvalShardFile.InOrder([read[2], read[0], read[1]]);
        var gap = Should.Throw<SteerException>(() => EvalShardFile.InOrder([read[0], read[2]]));
        var twin = Should.Throw<SteerException>(() => EvalShardFile.InOrder([.. read, read[1]]));
        var stranger = Should.Throw<SteerException>(() => EvalShardFile.InOrder([read[0], read[1], ("x", File(2, fingerprint: "0123456789abcdef"))]));
        var otherMetric = Should.Throw<SteerException>(() => EvalShardFile.InOrder([read[0], read[1], ("y", File(2, metric: "wordcount"))]));

        // Assert
        ordered.Select(s => s.Data[0].GetInt32()).ShouldBe([0, 1, 2]);
        read[1].Item2.Fingerprint.ShouldBe("abcdef0123456789");
        gap.Kind.ShouldBe(ErrorKind.NotFound);
        gap.Message.ShouldContain("shard 1/3 of this evaluation is missing (eval-shard-0001-of-0003.json)");
        twin.Message.ShouldContain("shard 1/3 is given twice");
        stranger.Message.ShouldContain("x belongs to another evaluation");
        otherMetric.Message.ShouldContain("wordcount, not perplexity");
        EvalShardFile.Find([directory.Path]).Select(Path.GetFileName).ShouldBe(paths.Select(Path.GetFileName));
    }
}

using Steer.Sharding;

namespace Steer.Tests.Sharding;

/// <summary>--shard I/N and the balanced, in-order split every sharded command uses.</summary>
public sealed class ShardTests
{
    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("3/16", 3, 16)]
    [InlineData(" 15/16 ", 15, 16)]
    public void I_over_N_parses_to_shard_I_of_N(string text, int index, int count)
    {
        // Act
        var shard = Shard.Parse(text);

        // Assert
        shard.ShouldBe(new Shard(index, count));
        shard.ToString().ShouldBe($"{index}/{count}");
    }

    [Theory]
    [InlineData("4/4", "shard 4 of 4 does not exist: shards count from 0, so the last is 3/4")]
    [InlineData("1/0", "a job needs at least one shard, got 0")]
    [InlineData("-1/4", "expected I/N")]
    [InlineData("1", "expected I/N")]
    [InlineData("a/b", "expected I/N")]
    [InlineData("1/2/3", "expected I/N")]
    [InlineData("", "expected I/N")]
    public void A_shard_that_does_not_exist_is_refused_in_words(string text, string message)
    {
        // Act
        var error = Should.Throw<SteerException>(() => Shard.Parse(text));

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
        error.Message.ShouldStartWith($"--shard '{text}': ");
        error.Message.ShouldContain(message);
    }

    [Fact]
    public void File_names_sort_in_shard_order()
    {
        // Act
        var names = Enumerable.Range(0, 12).Select(i => new Shard(i, 12).FileName("sweep-shard")).ToList();

        // Assert
        names[3].ShouldBe("sweep-shard-0003-of-0012.json");
        names.Order(StringComparer.Ordinal).ShouldBe(names);
    }

    [Theory]
    [InlineData(10, 1)]
    [InlineData(10, 3)]
    [InlineData(12, 4)]
    [InlineData(7, 7)]
    [InlineData(3, 5)]
    [InlineData(0, 2)]
    public void Equal_costs_split_into_runs_in_order_whose_lengths_differ_by_at_most_one(int items, int count)
    {
        // Arrange
        var costs = Enumerable.Repeat(1.0, items).ToList();

        // Act
        var ranges = Enumerable.Range(0, count).Select(i => new Shard(i, count).Range(costs)).ToList();

        // Assert
        ranges.SelectMany(r => Enumerable.Range(r.Start, r.Length)).ShouldBe(Enumerable.Range(0, items));
        (ranges.Max(r => r.Length) - ranges.Min(r => r.Length)).ShouldBeLessThanOrEqualTo(1);
    }

    [Fact]
    public void Growing_costs_give_every_item_to_exactly_one_shard_and_no_shard_more_than_its_share_plus_one_item()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 200; trial++)
        {
            // Arrange: costs like a sweep's cells (model layers + layer), in a random grid.
            var layers = random.Next(1, 49);
            var coeffs = random.Next(1, 9);
            var costs = Enumerable.Range(0, layers).SelectMany(l => Enumerable.Repeat((double)(layers + l), coeffs)).ToList();
            var count = random.Next(1, 40);

            // Act
            var ranges = Enumerable.Range(0, count).Select(i => new Shard(i, count).Range(costs)).ToList();

            // Assert
            ranges.SelectMany(r => Enumerable.Range(r.Start, r.Length)).ShouldBe(Enumerable.Range(0, costs.Count));
            var share = costs.Sum() / count;
            foreach (var (start, length) in ranges)
                costs.Skip(start).Take(length).Sum().ShouldBeLessThanOrEqualTo(share + costs.Max() + 1e-9);
        }
    }
}

using Steer.Diagnostics;

namespace Steer.Tests.Diagnostics;

public sealed class BandwidthTests
{
    [Fact]
    public void Bandwidth_use_is_weight_bytes_times_batch_one_tokens_per_second_over_the_bandwidth()
    {
        var decode = new Dictionary<string, double> { ["1"] = 5, ["4"] = 12 };
        var result = new BenchResult("x", "bfloat16", 1, new Dictionary<string, double>(), decode, 0, 50, 2, WeightBytes: 100, ReadBandwidth: 1000);

        result.BandwidthUse.ShouldBe(0.5);
        (result with { ReadBandwidth = null }).BandwidthUse.ShouldBeNull();
    }

    [Fact]
    public void Each_decode_batch_reads_the_weights_once_per_step()
    {
        var decode = new Dictionary<string, double> { ["1"] = 5, ["4"] = 12 };
        var result = new BenchResult("x", "int8", 1, new Dictionary<string, double>(), decode, 0, 50, 2, WeightBytes: 100);

        result.DecodeWeightBandwidth.ShouldBe(new Dictionary<string, double> { ["1"] = 500, ["4"] = 300 });
    }

    [Fact]
    public void A_bandwidth_measurement_over_a_small_buffer_is_a_plausible_rate()
    {
        // 16 MiB read twice by two threads: at least 100 MB/s on any machine that runs the tests, and finite.
        var bytesPerSecond = MemoryBandwidth.Measure(threads: 2, bytes: 1 << 24, passes: 2);

        double.IsFinite(bytesPerSecond).ShouldBeTrue();
        bytesPerSecond.ShouldBeGreaterThan(1e8);
    }
}

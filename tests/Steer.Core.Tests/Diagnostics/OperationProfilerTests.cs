using Steer.Architectures;
using Steer.Diagnostics;
using Steer.Runtime;
using static TorchSharp.torch;

namespace Steer.Tests.Diagnostics;

public sealed class OperationProfilerTests
{
    [Theory]
    [InlineData("tiny")]
    [InlineData("llama-tiny")]
    public void A_recorded_decoding_step_times_every_kind_of_operation_it_runs(string shape)
    {
        // Arrange: a 4-token prompt, then one cached step, which is what steer bench --profile records.
        using var model = LanguageModel.FromFormula(ModelShapes.Get(shape), seed: 1);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cache = model.Transformer.CreateCache(1, 8);
        var input = model.Input([[1, 2, 3, 4]], cache, lastOnly: true);
        model.Transformer.Forward(input);
        var step = input with { Ids = tensor(new long[] { 5 }, [1, 1]) };

        // Act
        double[] seconds;
        using (var recording = OperationProfiler.Start())
        {
            model.Transformer.Forward(step);
            seconds = recording.Seconds();
        }

        // Assert: every operation a step runs got time, and nothing is recorded once the recording is closed.
        Enum.GetValues<ProfiledOperation>().ShouldAllBe(o => seconds[(int)o] > 0, string.Join(", ", seconds));
        using var later = OperationProfiler.Start();
        using (var closed = OperationProfiler.Start()) { }
        model.Transformer.Forward(input with { Ids = tensor(new long[] { 6 }, [1, 1]) });
        later.Seconds().Sum().ShouldBeGreaterThan(0, "the outer recording is current again after an inner one closes");
    }

    [Fact]
    public void Without_a_recording_a_section_records_nothing()
    {
        using (OperationProfiler.Time(ProfiledOperation.Norms)) { }
        using var recording = OperationProfiler.Start();
        recording.Seconds().ShouldAllBe(s => s == 0);
    }

    [Fact]
    public void The_rest_of_a_profiled_step_is_its_time_minus_the_timed_operations()
    {
        var profile = new DecodeProfile(10, 0.020, new Dictionary<ProfiledOperation, double>
        {
            [ProfiledOperation.WeightProducts] = 0.012,
            [ProfiledOperation.Logits] = 0.004,
            [ProfiledOperation.Norms] = 0.001,
        });

        profile.OtherSeconds.ShouldBe(0.003, tolerance: 1e-15);
    }

    [Fact]
    public void Decode_overhead_is_the_step_time_minus_weight_bytes_over_the_read_bandwidth()
    {
        var decode = new Dictionary<string, double> { ["1"] = 50, ["4"] = 120 };
        var result = new BenchResult("x", "float32", 1, new Dictionary<string, double>(), decode, 0, 50, 2,
            WeightBytes: 500_000_000, ReadBandwidth: 40e9);

        result.DecodeOverheadSeconds!.Value.ShouldBe(0.020 - 0.0125, tolerance: 1e-15);
        (result with { ReadBandwidth = null }).DecodeOverheadSeconds.ShouldBeNull();
    }
}

using System.CommandLine;
using Steer.Architectures;
using Steer.Cli.Commands.Shared;
using Steer.Diagnostics;
using Steer.Models;

namespace Steer.Cli.Commands;

/// <summary><c>steer bench --shape NAME [--dtype] [--json]</c>, NAME being any registered architecture's named shape.</summary>
internal static class BenchCommand
{
    public static Command Create(CliContext context)
    {
        var shape = new Option<string>("--shape") { Description = $"Model shape: {string.Join(", ", ModelShapes.Names)}.", DefaultValueFactory = _ => "gpt2" };
        var dtype = new Option<string?>("--dtype") { Description = "float32, bfloat16, float16 or int8 (Q8_0 weights). Default: the shape's own (float32; bfloat16 for the real Llama-family shapes)." };
        var bandwidth = new Option<bool>("--bandwidth") { Description = "Also measure the machine's memory read bandwidth (1 GiB buffer) and report batch-1 decoding's share of that ceiling." };
        var profile = new Option<bool>("--profile") { Description = "Also break a batch-1 decoding step down by operation (implies --bandwidth, for the overhead)." };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N].", DefaultValueFactory = _ => "cpu" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var command = new Command("bench", "Measure load time, prompt-pass and decode speed, and peak memory on generated weights.")
        {
            shape, dtype, device, bandwidth, profile, json,
        };
        command.SetAction(parse =>
        {
            var asJson = parse.GetValue(json);
            var profiled = parse.GetValue(profile);
            var result = Benchmark.Run(parse.GetValue(shape)!, new ModelOptions { DType = parse.GetValue(dtype), Device = parse.GetValue(device)! },
                asJson ? null : line => context.Output.WriteLine(line), parse.GetValue(bandwidth) || profiled, profiled);
            if (asJson)
                Json.Write(context.Output, new
                {
                    shape = result.Shape,
                    dtype = result.DType,
                    load_s = result.LoadSeconds,
                    prompt_tokens_per_s = result.PromptTokensPerSecond,
                    decode_tokens_per_s = result.DecodeTokensPerSecond,
                    peak_rss_bytes = result.PeakRssBytes,
                    parameters = result.Parameters,
                    threads = result.Threads,
                    weight_bytes = result.WeightBytes,
                    read_bandwidth_bytes_per_s = result.ReadBandwidth,
                    bandwidth_use = result.BandwidthUse,
                    decode_weight_bytes_per_s = result.DecodeWeightBandwidth,
                    decode_bandwidth_use = result.ReadBandwidth is { } read
                        ? result.DecodeWeightBandwidth.ToDictionary(d => d.Key, d => d.Value / read) : null,
                    compare_step_ratio = result.CompareStepRatio,
                    decode_overhead_s = result.DecodeOverheadSeconds,
                    decode_profile = result.Profile is { } p ? DecodeProfileView.Json(p) : null,
                });
            else
            {
                if (result.Profile is { } p) DecodeProfileView.Write(context.Output, p, result.WeightBytes);
                context.Output.WriteLine($"peak memory {result.PeakRssBytes / 1048576.0:F0} MiB, {result.Threads} threads");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}

using System.CommandLine;
using Steer.Cli.Commands.Shared;
using Steer.Diagnostics;
using Steer.Runtime;

namespace Steer.Cli.Commands;

/// <summary><c>steer inspect [--json]</c>: config, parameter count, dtype and hook points.</summary>
internal static class InspectCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var json = new Option<bool>("--json") { Description = "Print as JSON." };
        var command = new Command("inspect", "Show a model's shape, parameter count, dtype and hook point names.") { json };
        model.AddTo(command);
        command.SetAction(parse =>
        {
            // Measured around the load so that users can check loading memory (weights are never held twice).
            TorchRuntime.EnsureLoaded();
            var rssBefore = Benchmark.CurrentRssBytes();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var lm = model.Load(parse);
            var loadSeconds = clock.Elapsed.TotalSeconds;
            var peakRss = Benchmark.PeakRssBytes();
            var weightBytes = lm.WeightBytes;
            var s = lm.Shape;
            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new
                {
                    model = lm.Name,
                    model_type = lm.ModelType,
                    config = new { n_layer = s.Layers, n_embd = s.ModelDim, n_head = s.Heads, vocab_size = s.VocabSize, n_positions = s.ContextLength },
                    parameters = lm.ParameterCount,
                    dtype = lm.DType,
                    device = lm.Device,
                    tokenizer = lm.Tokenizer.Source,
                    weight_bytes = weightBytes,
                    load_s = loadSeconds,
                    rss_before_load_bytes = rssBefore,
                    peak_rss_bytes = peakRss,
                    hook_points = lm.HookPoints,
                });
                return ExitCodes.Ok;
            }
            context.Output.WriteLine($"model       {lm.Name}");
            context.Output.WriteLine($"type        {lm.ModelType}");
            context.Output.WriteLine($"layers      {s.Layers}");
            context.Output.WriteLine($"d_model     {s.ModelDim}");
            context.Output.WriteLine($"heads       {s.Heads}");
            context.Output.WriteLine($"vocab       {s.VocabSize}");
            context.Output.WriteLine($"context     {s.ContextLength}");
            context.Output.WriteLine($"parameters  {lm.ParameterCount:N0}");
            context.Output.WriteLine($"dtype       {lm.DType}" + (model.DTypeGiven(parse) || lm.DType == "float32" ? ""
                : " (the checkpoint's torch_dtype; --dtype float32 for full precision)"));
            context.Output.WriteLine($"device      {lm.Device}");
            context.Output.WriteLine($"tokenizer   {lm.Tokenizer.Source}");
            context.Output.WriteLine($"loaded in   {loadSeconds:F2} s; weights {weightBytes / 1048576.0:F0} MiB; " +
                $"peak RSS {(peakRss - rssBefore) / 1048576.0:F0} MiB above the {rssBefore / 1048576.0:F0} MiB before loading");
            context.Output.WriteLine($"hook points ({lm.HookPoints.Count}):");
            foreach (var name in lm.HookPoints) context.Output.WriteLine($"  {name}");
            return ExitCodes.Ok;
        });
        return command;
    }
}

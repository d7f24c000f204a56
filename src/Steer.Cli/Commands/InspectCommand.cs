using System.CommandLine;
using Steer.Cli.Commands.Shared;

namespace Steer.Cli.Commands;

/// <summary><c>steer inspect [--json]</c>: config, parameter count, dtype and hook points.</summary>
internal static class InspectCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments();
        var json = new Option<bool>("--json") { Description = "Print as JSON." };
        var command = new Command("inspect", "Show a model's shape, parameter count, dtype and hook point names.") { json };
        model.AddTo(command);
        command.SetAction(parse =>
        {
            using var lm = model.Load(parse);
            var s = lm.Shape;
            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new
                {
                    model = lm.Name,
                    config = new { n_layer = s.Layers, n_embd = s.ModelDim, n_head = s.Heads, vocab_size = s.VocabSize, n_positions = s.ContextLength },
                    parameters = lm.ParameterCount,
                    dtype = lm.DType,
                    device = lm.Device,
                    tokenizer = lm.Tokenizer.Source,
                    hook_points = lm.HookPoints,
                });
                return ExitCodes.Ok;
            }
            context.Output.WriteLine($"model       {lm.Name}");
            context.Output.WriteLine($"layers      {s.Layers}");
            context.Output.WriteLine($"d_model     {s.ModelDim}");
            context.Output.WriteLine($"heads       {s.Heads}");
            context.Output.WriteLine($"vocab       {s.VocabSize}");
            context.Output.WriteLine($"context     {s.ContextLength}");
            context.Output.WriteLine($"parameters  {lm.ParameterCount:N0}");
            context.Output.WriteLine($"dtype       {lm.DType}");
            context.Output.WriteLine($"device      {lm.Device}");
            context.Output.WriteLine($"tokenizer   {lm.Tokenizer.Source}");
            context.Output.WriteLine($"hook points ({lm.HookPoints.Count}):");
            foreach (var name in lm.HookPoints) context.Output.WriteLine($"  {name}");
            return ExitCodes.Ok;
        });
        return command;
    }
}

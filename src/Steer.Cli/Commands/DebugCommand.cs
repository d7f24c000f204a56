using System.CommandLine;
using Steer.Models.Gpt2;

namespace Steer.Cli.Commands;

/// <summary><c>steer debug make-model --seed 1 --shape tiny --out DIR</c>: a model to try everything offline.</summary>
internal static class DebugCommand
{
    public static Command Create(CliContext context)
    {
        var seed = new Option<ulong>("--seed") { Description = "Formula seed.", DefaultValueFactory = _ => 1 };
        var shape = new Option<string>("--shape") { Description = "tiny, gpt2, gpt2-medium, gpt2-large, gpt2-xl or distilgpt2.", DefaultValueFactory = _ => "tiny" };
        var output = new Option<string>("--out") { Description = "Directory to write config.json and model.safetensors to.", Required = true };
        var fileDType = new Option<string>("--file-dtype") { Description = "F32, F16 or BF16.", DefaultValueFactory = _ => "F32" };
        var layers = new Option<int?>("--layers") { Description = "Override n_layer." };
        var modelDim = new Option<int?>("--d-model") { Description = "Override n_embd." };
        var heads = new Option<int?>("--heads") { Description = "Override n_head." };
        var context_ = new Option<int?>("--context") { Description = "Override n_positions." };
        var makeModel = new Command("make-model", "Write a GPT-2 whose weights come from the portable formula (no download needed).")
        {
            seed, shape, output, fileDType, layers, modelDim, heads, context_,
        };
        makeModel.SetAction(parse =>
        {
            var name = parse.GetValue(shape)!;
            if (!Gpt2Config.Shapes.TryGetValue(name, out var config))
                throw new SteerException(ErrorKind.InvalidArgument, $"unknown shape '{name}'; use one of {string.Join(", ", Gpt2Config.Shapes.Keys)}");
            config = config with
            {
                Layers = parse.GetValue(layers) ?? config.Layers,
                ModelDim = parse.GetValue(modelDim) ?? config.ModelDim,
                Heads = parse.GetValue(heads) ?? config.Heads,
                ContextLength = parse.GetValue(context_) ?? config.ContextLength,
            };
            var directory = parse.GetValue(output)!;
            FormulaModel.Write(directory, config.Validate(), parse.GetValue(seed), parse.GetValue(fileDType)!);
            context.Output.WriteLine($"wrote {Path.Combine(directory, "config.json")} and model.safetensors " +
                $"({config.Layers} layers, d_model {config.ModelDim}, {config.Heads} heads, seed {parse.GetValue(seed)})");
            return ExitCodes.Ok;
        });
        return new Command("debug", "Developer tools.") { makeModel };
    }
}

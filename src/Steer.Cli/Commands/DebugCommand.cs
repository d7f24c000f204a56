using System.CommandLine;
using Steer.Architectures;
using Steer.Cli.Commands.Shared;
using Steer.Models;

namespace Steer.Cli.Commands;

/// <summary><c>steer debug make-model --seed 1 --shape tiny --out DIR</c>: a model to try everything offline.</summary>
internal static class DebugCommand
{
    public static Command Create(CliContext context)
    {
        var seed = NumberOption.ULong("--seed", "Formula seed.", 1);
        var shape = new Option<string?>("--shape") { Description = $"One of {string.Join(", ", ModelShapes.Names)}. Default: tiny, or the --arch's tiny shape." };
        var arch = new Option<string?>("--arch") { Description = $"The architecture: {string.Join(", ", ModelShapes.Architectures)} (its tiny shape unless --shape says)." };
        var output = new Option<string>("--out") { Description = "Directory to write config.json and model.safetensors to.", Required = true };
        var fileDType = new Option<string>("--file-dtype") { Description = "F32, F16 or BF16.", DefaultValueFactory = _ => "F32" };
        var layers = NumberOption.OptionalInt("--layers", "Override n_layer.");
        var modelDim = NumberOption.OptionalInt("--d-model", "Override n_embd.");
        var heads = NumberOption.OptionalInt("--heads", "Override n_head.");
        var context_ = NumberOption.OptionalInt("--context", "Override n_positions.");
        var makeModel = new Command("make-model", "Write a model whose weights come from the portable formula (no download needed).")
        {
            seed, shape, arch, output, fileDType, layers, modelDim, heads, context_,
        };
        makeModel.SetAction(parse =>
        {
            OutputPath.CheckDirectory(parse.GetValue(output)!, "--out");
            var config = ModelShapes.For(parse.GetValue(arch), parse.GetValue(shape)).Reshape(parse.GetValue(layers), parse.GetValue(modelDim), parse.GetValue(heads), parse.GetValue(context_)).Validate();
            var directory = parse.GetValue(output)!;
            FormulaModel.Write(directory, config, parse.GetValue(seed), parse.GetValue(fileDType)!);
            var written = config.Shape;
            context.Output.WriteLine($"wrote {Path.Combine(directory, "config.json")} and model.safetensors " +
                $"({written.Layers} layers, d_model {written.ModelDim}, {written.Heads} heads, seed {parse.GetValue(seed)})");
            return ExitCodes.Ok;
        });
        return new Command("debug", "Developer tools.") { makeModel };
    }
}

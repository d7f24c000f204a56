using System.CommandLine;
using Steer.Cli.Commands.Shared;
using Steer.Steering;

namespace Steer.Cli.Commands;

/// <summary><c>steer vector --plus P --minus M --layer L --coeff C --out v.safetensors</c></summary>
internal static class VectorCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var steering = new SteeringArguments();
        var output = new Option<string>("--out") { Description = "Where to write the vector (safetensors).", Required = true };
        var json = new Option<bool>("--json") { Description = "Print what was saved as JSON." };
        var command = new Command("vector", "Compute a steering vector and save it as safetensors with its provenance.") { output, json };
        model.AddTo(command);
        steering.AddTo(command);
        command.SetAction(parse =>
        {
            var recipe = steering.Recipe(parse);
            using var lm = model.Load(parse, recipe is null ? null : Steer.Steering.Recipes.RecipeBook.PostModel);
            var choice = steering.Build(parse, lm);
            if (choice.Vector is null)
                throw new SteerException(ErrorKind.InvalidArgument, "nothing to save: give --plus/--minus/--layer/--coeff, --add, --recipe or --vector");
            var path = parse.GetValue(output)!;
            SteeringVectorFile.Save(choice.Vector, path);
            var norms = choice.Vector.Components.ToDictionary(c => c.HookPoint, c => c.PositionNorms());
            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new { path, model = lm.Name, steering = SteeringJson.Describe(choice), position_norms = norms });
                return ExitCodes.Ok;
            }
            SteeringJson.WriteNotes(context.Error, choice);
            context.Output.WriteLine($"wrote {path}");
            foreach (var (hook, positionNorms) in norms)
                context.Output.WriteLine($"  {hook}: {positionNorms.Length} positions, norms {string.Join(", ", positionNorms.Select(n => n.ToString("G5")))}");
            return ExitCodes.Ok;
        });
        return command;
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Steer.Generation;
using Steer.Hooks;

namespace Steer.Steering.Recipes;

/// <summary>The post's examples, built in, and recipe files of the same format.</summary>
public static class RecipeBook
{
    private static readonly Lazy<RecipeFile> Post = new(() =>
    {
        using var stream = typeof(RecipeBook).Assembly.GetManifestResourceStream("Steer.post-recipes.json")
            ?? throw new SteerException(ErrorKind.Environment, "the built-in recipes are missing from Steer.Core");
        return Parse(stream, "built-in recipes");
    });

    /// <summary>Every example of "Steering GPT-2-XL by adding an activation vector", under the post's names.</summary>
    public static IReadOnlyList<Recipe> BuiltIn => Post.Value.Recipes;

    /// <summary>The post's sampler: temperature 1, top-p 0.3, frequency penalty 1 (seed 0).</summary>
    public static SamplingOptions PostSampling => SamplingOptions.ActAddPost;

    /// <summary>The model the post used, gpt2-xl.</summary>
    public static string PostModel => Post.Value.Model ?? "gpt2-xl";

    /// <summary>A built-in recipe by name, or the recipe in a file (a recipe object, or a file with one recipe in "recipes").</summary>
    public static Recipe Find(string nameOrPath)
    {
        var builtIn = BuiltIn.FirstOrDefault(r => r.Name == nameOrPath);
        if (builtIn is not null) return builtIn;
        if (File.Exists(nameOrPath)) return FromFile(nameOrPath);
        throw new SteerException(ErrorKind.NotFound,
            $"no recipe named '{nameOrPath}' and no such file; built-in recipes: {string.Join(", ", BuiltIn.Select(r => r.Name))}");
    }

    private static Recipe FromFile(string path)
    {
        using var stream = File.OpenRead(path);
        using var doc = ParseDocument(stream, path);
        if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("recipes", out _))
        {
            var file = Deserialize<RecipeFile>(doc, path);
            return file.Recipes.Count == 1 ? file.Recipes[0]
                : throw new SteerException(ErrorKind.InvalidArgument,
                    $"{path} holds {file.Recipes.Count} recipes; give a file with one recipe");
        }
        return Validate(Deserialize<Recipe>(doc, path), path);
    }

    private static RecipeFile Parse(Stream stream, string source)
    {
        using var doc = ParseDocument(stream, source);
        var file = Deserialize<RecipeFile>(doc, source);
        foreach (var recipe in file.Recipes) Validate(recipe, source);
        return file;
    }

    private static Recipe Validate(Recipe recipe, string source)
    {
        if (string.IsNullOrEmpty(recipe.Name) || recipe.Prompt is null || recipe.Additions is null || recipe.Additions.Count == 0)
            throw new SteerException(ErrorKind.InvalidArgument, $"{source}: a recipe needs a name, a prompt and at least one addition");
        if (recipe.Additions.Any(a => a.Plus is null || !double.IsFinite(a.Coeff) || HookNames.LayerOf(a.HookPoint) is not >= 0))
            throw new SteerException(ErrorKind.InvalidArgument, $"{source}: recipe '{recipe.Name}' has an addition without 'plus', with a negative layer or a coefficient that is not finite");
        return recipe;
    }

    private static JsonDocument ParseDocument(Stream stream, string source)
    {
        try
        {
            return JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new SteerException(ErrorKind.InvalidArgument, $"{source}: not valid JSON ({e.Message})");
        }
    }

    private static T Deserialize<T>(JsonDocument doc, string source)
    {
        try
        {
            return doc.Deserialize<T>() ?? throw new SteerException(ErrorKind.InvalidArgument, $"{source}: empty");
        }
        catch (JsonException e)
        {
            throw new SteerException(ErrorKind.InvalidArgument, $"{source}: not a recipe ({e.Message})");
        }
    }

    private sealed record RecipeFile(
        [property: JsonPropertyName("model")] string? Model,
        [property: JsonPropertyName("recipes")] IReadOnlyList<Recipe> Recipes);
}

using Steer.Models;

namespace Steer.Architectures;

/// <summary>The named model shapes of every registered architecture (tiny, gpt2, llama-3.2-1b, ...), for benchmarks and demos.</summary>
public static class ModelShapes
{
    public static IReadOnlyCollection<string> Names => [.. ModelRegistry.Shapes.Keys];

    /// <summary>Every registered architecture's model_type.</summary>
    public static IReadOnlyCollection<string> Architectures => [.. ModelRegistry.Architectures.Keys];

    /// <exception cref="SteerException">InvalidArgument for an unknown name, listing the known ones.</exception>
    public static IModelConfig Get(string name) =>
        ModelRegistry.Shapes.TryGetValue(name, out var config) ? config
            : throw new SteerException(ErrorKind.InvalidArgument, $"unknown shape '{name}'; use one of {string.Join(", ", Names)}");

    /// <summary>
    /// A shape by name, by architecture (its tiny shape: "tiny" for gpt2, "ARCH-tiny" otherwise), or both when they
    /// agree; neither gives GPT-2's tiny shape.
    /// </summary>
    public static IModelConfig For(string? architecture, string? shape)
    {
        if (architecture is not null && !ModelRegistry.Architectures.ContainsKey(architecture))
            throw new SteerException(ErrorKind.InvalidArgument, $"unknown architecture '{architecture}'; use one of {string.Join(", ", Architectures)}");
        var config = Get(shape ?? (architecture is null or "gpt2" ? "tiny" : $"{architecture}-tiny"));
        if (architecture is not null && config.ModelType != architecture)
            throw new SteerException(ErrorKind.InvalidArgument, $"shape '{shape}' is a {config.ModelType} shape, not a {architecture} one");
        return config;
    }
}

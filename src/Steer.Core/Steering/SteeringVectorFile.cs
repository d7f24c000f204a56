using System.Text.Json;
using Steer.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Steering;

/// <summary>
/// Steering vectors as safetensors: one float32 tensor <c>[positions, d_model]</c> per component, named by its hook
/// point (front components, ActAdd's) or <c>hook_point@mode</c> (one-row components that reach every prompt position,
/// every generated token, or all), with the model and the additions that built the vector in the header's metadata.
/// </summary>
public static class SteeringVectorFile
{
    private const string FormatKey = "steer.format";
    private const string FormatValue = "steering-vector/1";

    public static void Save(SteeringVector vector, string path)
    {
        if (vector.Components.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "the steering vector is empty");
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = FormatValue,
            // snake_case keys, through Addition's converter; files with the older PascalCase keys still load.
            ["steer.additions"] = JsonSerializer.Serialize(vector.Metadata.Additions),
        };
        if (vector.Metadata.Model is { } model) metadata["steer.model"] = model;
        if (vector.Metadata.Properties.Count > 0) metadata["steer.properties"] = JsonSerializer.Serialize(vector.Metadata.Properties);
        using var scope = NewDisposeScope();
        var tensors = vector.Components
            .Select(c => (TensorName(c), tensor(c.Values, [c.Positions, c.ModelDim], ScalarType.Float32)))
            .ToList();
        SafetensorsWriter.Write(path, tensors, metadata);
    }

    public static SteeringVector Load(string path)
    {
        if (!File.Exists(path)) throw new SteerException(ErrorKind.NotFound, $"{path}: no such steering vector file");
        using var file = SafetensorsFile.Open(path);
        if (!file.Metadata.TryGetValue(FormatKey, out var format) || format != FormatValue)
            throw new SteerException(ErrorKind.InvalidModel,
                $"{path}: not a Steer steering vector (its metadata has no '{FormatKey}: {FormatValue}')");
        var components = new List<SteeringComponent>();
        foreach (var entry in file.Entries)
        {
            if (entry.Shape.Count != 2 || entry.Shape[0] < 1 || entry.Shape[1] < 1)
                throw new SteerException(ErrorKind.InvalidModel,
                    $"{path}: tensor '{entry.Name}' has shape [{string.Join(", ", entry.Shape)}]; expected [positions, d_model]");
            if (entry.DType is not (SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16))
                throw new SteerException(ErrorKind.InvalidModel, $"{path}: tensor '{entry.Name}' is {entry.DType}; expected a float type");
            using var values = empty([entry.Shape[0], entry.Shape[1]], ScalarType.Float32);
            file.ReadInto(entry, values);
            var (hookPoint, mode) = ParseName(path, entry.Name);
            if (mode != PositionMode.Front && entry.Shape[0] != 1)
                throw new SteerException(ErrorKind.InvalidModel, $"{path}: tensor '{entry.Name}' reaches {mode} positions, which takes one row, not {entry.Shape[0]}");
            components.Add(new SteeringComponent(hookPoint, (int)entry.Shape[0], (int)entry.Shape[1], values.data<float>().ToArray()) { Mode = mode });
        }
        return new SteeringVector(components, new SteeringMetadata
        {
            Model = file.Metadata.GetValueOrDefault("steer.model"),
            Additions = ParseAdditions(path, file.Metadata.GetValueOrDefault("steer.additions")),
            Properties = ParseProperties(path, file.Metadata.GetValueOrDefault("steer.properties")),
        });
    }

    private static string TensorName(SteeringComponent c) =>
        c.Mode == PositionMode.Front ? c.HookPoint : $"{c.HookPoint}@{c.Mode.ToString().ToLowerInvariant()}";

    private static (string HookPoint, PositionMode Mode) ParseName(string path, string name)
    {
        var at = name.LastIndexOf('@');
        if (at < 0) return (name, PositionMode.Front);
        try
        {
            return (name[..at], SteeringOptions.ParsePositions(name[(at + 1)..]));
        }
        catch (SteerException e)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"{path}: tensor '{name}': {e.Message}");
        }
    }

    private static IReadOnlyDictionary<string, string> ParseProperties(string path, string? json)
    {
        if (json is null) return new Dictionary<string, string>();
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];
        }
        catch (JsonException e)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"{path}: metadata 'steer.properties' is not valid: {e.Message}");
        }
    }

    private static IReadOnlyList<Addition> ParseAdditions(string path, string? json)
    {
        if (json is null) return [];
        try
        {
            return JsonSerializer.Deserialize<List<Addition>>(json) ?? [];
        }
        catch (JsonException e)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"{path}: metadata 'steer.additions' is not valid: {e.Message}");
        }
    }
}

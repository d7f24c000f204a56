using System.Globalization;
using Steer.Hooks;
using Steer.IO.Gguf;
using Steer.Steering;

namespace Steer.Steering.Files;

/// <summary>
/// llama.cpp's control vectors: GGUF files with <c>general.architecture</c> = <c>controlvector</c>, a model hint, a layer
/// count and one float32 tensor <c>direction.k</c> of d_model values per layer. llama.cpp adds <c>direction.k</c> to the
/// output of block k (0-based) at every position, prompt and generated tokens alike: TransformerLens's
/// <c>blocks.k.hook_resid_post</c> (= <c>blocks.(k+1).hook_resid_pre</c>). k starts at 1, so block 0's output and the
/// embeddings cannot be steered by such a file.
/// </summary>
public static class ControlVectorFile
{
    private const string Architecture = "controlvector";
    private const string TensorPrefix = "direction.";

    /// <summary>Reads a file written by llama.cpp's cvector-generator, repeng, EasySteer or Steer.</summary>
    /// <param name="model">Its width must match the file's; its blocks must include every direction's.</param>
    /// <remarks>Several tensors for one layer are summed, as llama.cpp does.</remarks>
    public static SteeringVector Load(string path, LanguageModel model) => Load(path, model.Shape);

    /// <summary>As <see cref="Load(string, LanguageModel)"/>, checked against a model's description (what a server's endpoints hold).</summary>
    public static SteeringVector Load(string path, ModelDescription model) => Load(path, model.Shape);

    private static SteeringVector Load(string path, Models.ModelShape shape)
    {
        if (!File.Exists(path)) throw new SteerException(ErrorKind.NotFound, $"{path}: no such control vector file");
        using var file = GgufFile.Open(path);
        if (file.TryGetString("general.architecture", out var architecture) && architecture != Architecture)
            throw new SteerException(ErrorKind.InvalidModel, $"{path}: general.architecture is '{architecture}', not '{Architecture}'; this is not a control vector");
        var sums = new SortedDictionary<int, float[]>();
        foreach (var tensor in file.Tensors)
        {
            if (!tensor.Name.StartsWith(TensorPrefix, StringComparison.Ordinal)
                || !int.TryParse(tensor.Name.AsSpan(TensorPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var layer) || layer < 1)
                throw new SteerException(ErrorKind.InvalidModel, $"{path}: tensor '{tensor.Name}' is not direction.k with a layer k ≥ 1");
            if (tensor.Dims.Count != 1 || tensor.Dims[0] != shape.ModelDim)
                throw new SteerException(ErrorKind.InvalidModel,
                    $"{path}: tensor '{tensor.Name}' has shape [{string.Join(", ", tensor.Dims)}], but the model's d_model is {shape.ModelDim}");
            if (layer >= shape.Layers)
                throw new SteerException(ErrorKind.InvalidModel,
                    $"{path}: '{tensor.Name}' steers the output of block {layer}, but this model's blocks are 0..{shape.Layers - 1}");
            var values = file.ReadFloats(tensor);
            if (sums.TryGetValue(layer, out var sum)) for (var i = 0; i < sum.Length; i++) sum[i] += values[i];
            else sums[layer] = values;
        }
        if (sums.Count == 0) throw new SteerException(ErrorKind.InvalidModel, $"{path}: the file holds no direction tensors");
        var properties = new Dictionary<string, string> { ["format"] = "gguf control vector" };
        if (file.TryGetString("controlvector.model_hint", out var hint)) properties["model_hint"] = hint;
        foreach (var (key, value) in file.Metadata)
            if (key.StartsWith("steer.", StringComparison.Ordinal) && key != "steer.model" && value.TryGetString(out var text))
                properties[key["steer.".Length..]] = text;
        return new SteeringVector(sums.Select(s => SteeringComponent.Row(HookNames.ResidPost(s.Key), s.Value)),
            new SteeringMetadata { Model = file.TryGetString("steer.model", out var madeFor) ? madeFor : null, Properties = properties });
    }

    /// <summary>
    /// Writes <paramref name="vector"/> as llama.cpp reads it; refuses what the format cannot express, saying why.
    /// Steer's facts about the vector go into <c>steer.*</c> keys, which llama.cpp ignores.
    /// </summary>
    public static void Save(SteeringVector vector, string path, LanguageModel model)
    {
        var directions = new SortedDictionary<int, float[]>();
        foreach (var component in vector.Components)
        {
            if (component.Mode != PositionMode.All)
                throw new SteerException(ErrorKind.InvalidArgument, component.Mode == PositionMode.Front
                    ? $"a GGUF control vector adds one vector at every position, but the vector at {component.HookPoint} is ActAdd's " +
                      $"{component.Positions} rows for the front of the prompt; save it as .safetensors instead"
                    : $"llama.cpp applies a control vector at every position, but the vector at {component.HookPoint} reaches " +
                      $"{component.Mode.ToString().ToLowerInvariant()} positions only; save it as .safetensors, or make it reach all positions");
            var block = BlockOf(component.HookPoint, model);
            if (directions.TryGetValue(block, out var sum)) for (var i = 0; i < sum.Length; i++) sum[i] += component.Values[i];
            else directions[block] = (float[])component.Values.Clone();
        }
        if (directions.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "the steering vector is empty");
        var metadata = new List<(string Key, GgufValue Value)>
        {
            ("general.architecture", GgufValue.String(Architecture)),
            ("controlvector.model_hint", GgufValue.String(model.ModelType)),
            ("controlvector.layer_count", GgufValue.Int32(directions.Count)),
            ("steer.model", GgufValue.String(vector.Metadata.Model ?? model.Name)),
            ("steer.hook_points", GgufValue.String(string.Join(",", vector.Components.Select(c => c.HookPoint)))),
        };
        foreach (var (key, value) in vector.Metadata.Properties) metadata.Add(($"steer.{key}", GgufValue.String(value)));
        GgufWriter.Write(path, metadata, directions.Select(d => ($"{TensorPrefix}{d.Key}", new long[] { d.Value.Length }, d.Value)).ToList());
    }

    /// <summary>Throws what <see cref="Save"/> would for vectors at these hook points, before any work is done to compute them.</summary>
    public static void CheckHookPoints(IEnumerable<string> hookPoints, LanguageModel model)
    {
        foreach (var hookPoint in hookPoints) BlockOf(hookPoint, model);
    }

    /// <summary>
    /// The blocks whose output a control vector can steer, 1..n_layer−1, as the residual hook points of
    /// <paramref name="residual"/> (resid_post: block L's output; resid_pre: block L's input, so L = 2..n_layer).
    /// </summary>
    public static IReadOnlyList<int> Layers(LanguageModel model, string residual) =>
        residual == "resid_pre" ? [.. Enumerable.Range(2, model.Shape.Layers - 2)] : [.. Enumerable.Range(1, model.Shape.Layers - 1)];

    /// <summary>The k of direction.k for a residual hook point: block k's output.</summary>
    private static int BlockOf(string hookPoint, LanguageModel model)
    {
        var name = model.Hooks.Resolve(hookPoint);
        var layer = HookNames.LayerOf(name);
        var block = layer is { } l && name == HookNames.ResidPost(l) ? l
            : layer is { } m && name == HookNames.ResidPre(m) ? m - 1
            : throw new SteerException(ErrorKind.InvalidArgument,
                $"a GGUF control vector is added to a block's output; {name} is not a residual stream between blocks (use blocks.L.hook_resid_post)");
        return block >= 1 ? block
            : throw new SteerException(ErrorKind.InvalidArgument,
                $"llama.cpp's control vectors start at block 1's output (direction.1); {name} is before that, so save it as .safetensors or use a later layer");
    }
}

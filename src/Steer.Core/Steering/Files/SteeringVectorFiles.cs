using Steer.Steering;

namespace Steer.Steering.Files;

/// <summary>Steering vector files by extension: Steer's safetensors, or llama.cpp's GGUF control vectors.</summary>
public static class SteeringVectorFiles
{
    public static bool IsGguf(string path) => path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);

    /// <param name="model">The model the vector is for: a GGUF file's layers and width are checked against it.</param>
    public static SteeringVector Load(string path, LanguageModel model) =>
        IsGguf(path) ? ControlVectorFile.Load(path, model) : SteeringVectorFile.Load(path);

    public static void Save(SteeringVector vector, string path, LanguageModel model)
    {
        if (IsGguf(path)) ControlVectorFile.Save(vector, path, model);
        else SteeringVectorFile.Save(vector, path);
    }
}

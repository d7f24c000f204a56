using System.Text.Json;

namespace Steer.Models;

/// <summary>
/// What Steer takes from a model's <c>generation_config.json</c>: its <c>eos_token_id</c> (one id or a list), which
/// Hugging Face's generate stops at in addition to config.json's (Llama 3 Instruct lists &lt;|eot_id|&gt; there).
/// Sampling defaults are not taken: Steer's sampling comes from the request.
/// </summary>
internal static class GenerationConfigFile
{
    public const string FileName = "generation_config.json";

    /// <returns>The ids, or none when the directory has no such file.</returns>
    public static IReadOnlyList<int> StopIds(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return [];
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return new ConfigJson(doc.RootElement, path).IntOrList("eos_token_id");
        }
        catch (JsonException e)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"{path}: not valid JSON ({e.Message})");
        }
    }
}

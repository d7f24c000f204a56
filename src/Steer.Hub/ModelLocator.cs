using Steer.IO;

namespace Steer.Hub;

/// <summary>Turns what the user passed as --model (a directory, a file, or a Hub id, downloaded when needed) into concrete files.</summary>
public static class ModelLocator
{
    /// <param name="hub">How to reach the Hub for a model id; null reads the environment (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, ...).</param>
    public static ModelFiles Resolve(string model, string revision = "main", HubOptions? hub = null)
    {
        if (string.IsNullOrWhiteSpace(model))
            throw new SteerException(ErrorKind.InvalidArgument, "No model given: pass a model directory, a .safetensors file or a Hugging Face id.");

        model = HubCache.ExpandHome(model);
        if (Directory.Exists(model) || File.Exists(model)) return ModelFiles.FromPath(model);
        if (ModelFiles.LooksLikePath(model))
            throw new SteerException(ErrorKind.NotFound, $"Model path '{model}' does not exist.");
        if (!HubCache.IsValidRepoId(model))
            throw new SteerException(ErrorKind.InvalidArgument,
                $"'{model}' is not an existing file or directory, nor a Hugging Face model id ('name' or 'org/name').");

        // Downloads on demand, or finds the cached copy (offline, or when the Hub cannot be reached).
        var snapshot = HubDownloader.Download(model, revision, hub);
        return ModelFiles.FromDirectory(snapshot.Directory, snapshot.RepoId);
    }
}

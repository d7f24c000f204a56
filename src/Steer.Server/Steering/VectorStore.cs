using System.Text.Json;
using Steer.Server.Contracts;
using Steer.Server.Http;
using Steer.Steering;

namespace Steer.Server.Steering;

/// <summary>
/// Registered vectors on disk, so that they survive a restart: <c>{id}.safetensors</c> (the vector, in Steer's own
/// format) and <c>{id}.json</c> (its <see cref="VectorInfo"/> as the API shows it). The JSON is written last and
/// deleted first, so it marks a complete registration: a vector file without one is a leftover and ignored. Each
/// file is written to a temporary name in the same directory and moved over, so a crash never leaves half a file.
/// </summary>
internal sealed class VectorStore
{
    private const string VectorExtension = ".safetensors";
    private const string InfoExtension = ".json";
    private readonly string _directory;

    public VectorStore(string directory)
    {
        _directory = Path.GetFullPath(directory);
        try
        {
            Directory.CreateDirectory(_directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SteerException(ErrorKind.Environment, $"--vector-dir {directory}: cannot create the directory: {e.Message}");
        }
    }

    /// <summary>
    /// Every vector in the directory, checked against the served model. A file that does not load or does not fit the
    /// model stops the start with its name: silently dropping a vector would break the clients that use its id.
    /// </summary>
    public IReadOnlyList<RegisteredVector> LoadAll(ModelDescription model)
    {
        var loaded = new List<RegisteredVector>();
        foreach (var infoPath in Directory.EnumerateFiles(_directory, "*" + InfoExtension).Order(StringComparer.Ordinal))
        {
            VectorInfo info;
            try
            {
                info = JsonSerializer.Deserialize<VectorInfo>(File.ReadAllText(infoPath), ApiJson.Options)
                    ?? throw new JsonException("the file holds null");
            }
            catch (JsonException e)
            {
                throw new SteerException(ErrorKind.InvalidModel, $"{infoPath}: not a registered vector's description: {e.Message}");
            }
            var vectorPath = Path.Combine(_directory, info.Id + VectorExtension);
            if (Path.GetFileNameWithoutExtension(infoPath) != info.Id)
                throw new SteerException(ErrorKind.InvalidModel, $"{infoPath}: describes vector '{info.Id}', not the one its name says");
            var vector = SteeringVectorFile.Load(vectorPath);
            foreach (var component in vector.Components)
            {
                try
                {
                    model.ResolveHookPoint(component.HookPoint);
                }
                catch (SteerException e)
                {
                    throw new SteerException(ErrorKind.InvalidModel, $"{vectorPath}: does not fit the served model {model.Name}: {e.Message}");
                }
                if (component.ModelDim != model.Shape.ModelDim)
                    throw new SteerException(ErrorKind.InvalidModel,
                        $"{vectorPath}: is {component.ModelDim} wide at {component.HookPoint} but the served model's d_model is {model.Shape.ModelDim}");
            }
            loaded.Add(new RegisteredVector(vector, info));
        }
        return loaded;
    }

    public void Save(RegisteredVector vector)
    {
        var id = vector.Info.Id;
        WriteAtomically(id + VectorExtension, path => SteeringVectorFile.Save(vector.Vector, path));
        WriteAtomically(id + InfoExtension, path => File.WriteAllText(path, JsonSerializer.Serialize(vector.Info, ApiJson.Options)));
    }

    public void Delete(string id)
    {
        File.Delete(Path.Combine(_directory, id + InfoExtension));
        File.Delete(Path.Combine(_directory, id + VectorExtension));
    }

    private void WriteAtomically(string name, Action<string> write)
    {
        // A dot-name with another extension: LoadAll never mistakes it for a vector, even if a crash leaves it behind.
        var temporary = Path.Combine(_directory, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            write(temporary);
            File.Move(temporary, Path.Combine(_directory, name), overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}

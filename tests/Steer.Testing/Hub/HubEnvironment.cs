using Steer.Tests.IO;

namespace Steer.Tests.Hub;

/// <summary>
/// A fake Hub, an empty cache, and the Hugging Face variables pointing at both (HF_ENDPOINT, HF_HUB_CACHE; no
/// token, not offline), restored on dispose. Only for tests in the "Environment" collection.
/// </summary>
internal sealed class HubEnvironment : IDisposable
{
    private static readonly string[] Variables =
        ["HF_ENDPOINT", "HF_HUB_CACHE", "HF_HOME", "HF_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS", "STEER_MODEL"];

    private readonly Dictionary<string, string?> _saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);

    public HubEnvironment()
    {
        Set("HF_ENDPOINT", Hub.Endpoint.ToString());
        Set("HF_HUB_CACHE", Cache.Path);
        Set("HF_TOKEN_PATH", Cache.File("no-token"));
        foreach (var variable in new[] { "HF_HOME", "HF_TOKEN", "HF_HUB_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS", "STEER_MODEL" })
            Set(variable, null);
    }

    public FakeHub Hub { get; } = new();

    public TempDirectory Cache { get; } = new();

    public static void Set(string variable, string? value) => Environment.SetEnvironmentVariable(variable, value);

    public void Dispose()
    {
        foreach (var (variable, value) in _saved) Environment.SetEnvironmentVariable(variable, value);
        Hub.Dispose();
        Cache.Dispose();
    }
}

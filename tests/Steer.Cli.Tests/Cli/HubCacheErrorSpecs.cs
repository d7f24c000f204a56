using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>
/// In offline mode, Hugging Face ids that the local cache does not hold exit with 3; these tests point the cache at an
/// empty directory. (Downloading is covered by Hub/DownloadCommandSpecs against a fake Hub.)
/// </summary>
[Collection("Environment")]
public sealed class HubCacheErrorSpecs : IDisposable
{
    private static readonly string[] Variables = ["HF_HUB_CACHE", "HF_HOME", "STEER_MODEL", "HF_HUB_OFFLINE"];
    private readonly Dictionary<string, string?> _saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
    private readonly TempDirectory _cache = new();

    public HubCacheErrorSpecs()
    {
        Environment.SetEnvironmentVariable("HF_HUB_CACHE", _cache.Path);
        Environment.SetEnvironmentVariable("HF_HOME", null);
        Environment.SetEnvironmentVariable("STEER_MODEL", null);
        Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", "1");
    }

    public void Dispose()
    {
        foreach (var (variable, value) in _saved) Environment.SetEnvironmentVariable(variable, value);
        _cache.Dispose();
    }

    [Theory]
    [InlineData("generate", "--prompt")]
    [InlineData("score", "--text")]
    [InlineData("tokenize", "--text")]
    public void A_model_id_missing_from_the_cache_exits_with_3_and_names_the_cache(string command, string input)
    {
        // Act
        var result = Cli.Run(command, "--model", "some-org/not-downloaded", input, "Hi there");

        // Assert
        result.ShouldFailWith(3, "Model 'some-org/not-downloaded' (revision 'main') is not in the local Hugging Face cache",
            $"'{_cache.Path}'", "offline mode is on");
    }

    [Fact]
    public void Without_model_or_steer_model_the_default_gpt2_is_looked_up_in_the_cache()
    {
        // Act
        var result = Cli.Run("inspect");

        // Assert
        result.ShouldFailWith(3, "Model 'openai-community/gpt2' (revision 'main') is not in the local Hugging Face cache");
    }

    [Fact]
    public void The_steer_model_variable_names_the_model_when_model_is_not_given()
    {
        // Arrange
        Environment.SetEnvironmentVariable("STEER_MODEL", "some-org/from-environment");

        // Act
        var result = Cli.Run("score", "--text", "Hi there");

        // Assert
        result.ShouldFailWith(3, "Model 'some-org/from-environment'");
    }
}

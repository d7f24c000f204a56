using Steer.Hub;
using Steer.Tests.IO;

namespace Steer.Tests.Hub;

/// <summary>Reading huggingface_hub's environment variables.</summary>
[Collection("Environment")]
public sealed class HubOptionsTests : IDisposable
{
    private static readonly string[] Variables = ["HF_ENDPOINT", "HF_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE", "HF_HUB_CACHE", "HF_HOME"];
    private readonly Dictionary<string, string?> _saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
    private readonly TempDirectory _home = new();

    public HubOptionsTests()
    {
        foreach (var variable in Variables) Environment.SetEnvironmentVariable(variable, null);
        Environment.SetEnvironmentVariable("HF_HOME", _home.Path);
    }

    public void Dispose()
    {
        foreach (var (variable, value) in _saved) Environment.SetEnvironmentVariable(variable, value);
        _home.Dispose();
    }

    [Fact]
    public void Without_variables_the_hub_is_huggingface_co_online_without_a_token()
    {
        // Act
        var options = HubOptions.FromEnvironment();

        // Assert
        options.Endpoint.ShouldBe(new Uri("https://huggingface.co"));
        options.Token.ShouldBeNull();
        options.Offline.ShouldBeFalse();
        options.CacheRoot.ShouldBe(Path.Combine(_home.Path, "hub"));
    }

    [Fact]
    public void HF_ENDPOINT_selects_a_mirror_and_HF_TOKEN_a_token()
    {
        // Arrange
        Environment.SetEnvironmentVariable("HF_ENDPOINT", "https://hf-mirror.example/");
        Environment.SetEnvironmentVariable("HF_TOKEN", "hf_FromVariable");

        // Act
        var options = HubOptions.FromEnvironment();

        // Assert
        options.Endpoint.ShouldBe(new Uri("https://hf-mirror.example"));
        options.Token.ShouldBe("hf_FromVariable");
        options.ToString().ShouldNotContain("hf_FromVariable");
        options.ToString().ShouldContain("Token = (hidden)");
    }

    [Fact]
    public void Without_HF_TOKEN_the_token_saved_by_huggingface_cli_login_is_used()
    {
        // Arrange
        _home.Write("token", "hf_FromLogin\n");

        // Act & Assert
        HubOptions.FromEnvironment().Token.ShouldBe("hf_FromLogin");
        Environment.SetEnvironmentVariable("HF_TOKEN_PATH", _home.Write("elsewhere/token", "hf_FromPath"));
        HubOptions.FromEnvironment().Token.ShouldBe("hf_FromPath");
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData("YES", true)]
    [InlineData("on", true)]
    [InlineData("0", false)]
    [InlineData("false", false)]
    public void HF_HUB_OFFLINE_is_read_the_way_huggingface_hub_reads_it(string value, bool offline)
    {
        // Arrange
        Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", value);

        // Act & Assert
        HubOptions.FromEnvironment().Offline.ShouldBe(offline);
    }
}

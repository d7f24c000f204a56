using System.Runtime.CompilerServices;

namespace Steer.Tests.Hub;

/// <summary>
/// Tests never reach the real Hub: before any test runs, the endpoint is pointed at a closed local port and the
/// developer's own token is hidden. A test that wants a Hub starts a <see cref="FakeHub"/> and points HF_ENDPOINT at it.
/// </summary>
internal static class NoInternet
{
#pragma warning disable CA2255 // A module initializer is the one place that runs before every test, whichever runs first.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void PointTheHubAtAClosedPort()
    {
        Environment.SetEnvironmentVariable("HF_ENDPOINT", ClosedEndpoint);
        Environment.SetEnvironmentVariable("HF_TOKEN", null);
        Environment.SetEnvironmentVariable("HF_TOKEN_PATH", Path.Combine(Path.GetTempPath(), "steer-tests-no-token"));
        Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", null);
    }

    /// <summary>The discard port on the loopback address: nothing listens there, so connections are refused at once.</summary>
    public const string ClosedEndpoint = "http://127.0.0.1:9";
}

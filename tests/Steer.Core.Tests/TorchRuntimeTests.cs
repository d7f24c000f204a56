using Steer.Runtime;

namespace Steer.Tests;

public class TorchRuntimeTests
{
    [Fact]
    public void TorchSharp_loads_and_reports_libtorch_2_10()
    {
        TorchRuntime.EnsureLoaded().ShouldStartWith("2.10");
    }
}

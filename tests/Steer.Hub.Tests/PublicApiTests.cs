namespace Steer.Tests;

public sealed class PublicApiTests
{
    [Fact]
    public void The_hubs_public_api_is_the_approved_one() =>
        PublicApiApproval.Verify(typeof(Steer.Hub.ModelLocator).Assembly, "Steer.Hub.Tests");
}

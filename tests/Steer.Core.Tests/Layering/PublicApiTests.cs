namespace Steer.Tests.Layering;

public sealed class PublicApiTests
{
    [Fact]
    public void The_engines_public_api_is_the_approved_one() =>
        PublicApiApproval.Verify(typeof(LanguageModel).Assembly, "Steer.Core.Tests");
}

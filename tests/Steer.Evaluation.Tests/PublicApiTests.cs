namespace Steer.Tests;

public sealed class PublicApiTests
{
    [Fact]
    public void The_evaluation_public_api_is_the_approved_one() =>
        PublicApiApproval.Verify(typeof(Steer.Evaluation.BatchScorer).Assembly, "Steer.Evaluation.Tests");
}

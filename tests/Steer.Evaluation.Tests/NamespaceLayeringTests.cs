namespace Steer.Tests;

public sealed class NamespaceLayeringTests
{
    [Fact]
    public void The_evaluation_namespaces_have_no_cycles() =>
        NamespaceGraph.Cycles(NamespaceGraph.Of(typeof(Steer.Evaluation.BatchScorer).Assembly)).Select(c => string.Join(" <-> ", c)).ShouldBeEmpty();
}

namespace Steer.Tests.Layering;

/// <summary>The engine's namespaces form layers: none of them uses, directly or through others, one that uses it.</summary>
public sealed class NamespaceLayeringTests
{
    [Fact]
    public void The_engines_namespaces_have_no_cycles()
        => NamespaceGraph.Cycles(NamespaceGraph.Of(typeof(LanguageModel).Assembly)).Select(c => string.Join(" <-> ", c)).ShouldBeEmpty();

    [Fact]
    public void The_engines_lower_namespaces_do_not_use_the_model_facade()
    {
        var edges = NamespaceGraph.Of(typeof(LanguageModel).Assembly);

        foreach (var lower in new[] { "Steer.Errors", "Steer.Hooks", "Steer.IO", "Steer.Models", "Steer.Models.Gpt2", "Steer.Runtime", "Steer.Tokenization", "Steer.Generation", "Steer.Steering" })
            edges.GetValueOrDefault(lower, []).ShouldNotContain("Steer", $"{lower} uses the root namespace");
    }

    [Fact]
    public void The_graph_sees_a_parent_namespace_used_without_a_using()
    {
        // ActAdd (Steer.Steering.Methods) runs LanguageModel (namespace Steer) with no using directive: the IL still names it.
        var edges = NamespaceGraph.Of(typeof(LanguageModel).Assembly);

        edges["Steer.Steering.Methods"].ShouldContain("Steer");
    }
}

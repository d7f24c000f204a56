using System.Reflection;
using Steer.Evaluation;
using Steer.Hub;
using Steer.Server;

namespace Steer.Tests;

/// <summary>The assemblies are layered: engine ← Hub ← CLI, engine ← Evaluation ← CLI, and the server sees no plotting.</summary>
public sealed class LayeringSpecs
{
    /// <summary>Every assembly <paramref name="root"/> references, directly or through others.</summary>
    private static HashSet<string> Closure(Assembly root)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<AssemblyName>(root.GetReferencedAssemblies());
        while (pending.TryPop(out var name))
        {
            if (!seen.Add(name.Name!)) continue;
            Assembly loaded;
            try { loaded = Assembly.Load(name); }
            catch (FileNotFoundException) { continue; }   // framework facades that are not deployed
            foreach (var next in loaded.GetReferencedAssemblies()) pending.Push(next);
        }
        return seen;
    }

    [Fact]
    public void The_engine_references_neither_the_hub_nor_evaluation_nor_any_console_web_or_plotting_library()
    {
        var references = typeof(LanguageModel).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        references.ShouldNotContain("Steer.Hub");
        references.ShouldNotContain("Steer.Evaluation");
        references.ShouldNotContain(name => name.StartsWith("ScottPlot") || name.StartsWith("SkiaSharp")
            || name.StartsWith("System.CommandLine") || name.StartsWith("Microsoft.AspNetCore"));
    }

    [Fact]
    public void The_hub_and_evaluation_do_not_reference_each_other()
    {
        typeof(ModelLocator).Assembly.GetReferencedAssemblies().Select(a => a.Name).ShouldNotContain("Steer.Evaluation");
        typeof(BatchScorer).Assembly.GetReferencedAssemblies().Select(a => a.Name).ShouldNotContain("Steer.Hub");
    }

    [Fact]
    public void The_server_reaches_neither_evaluation_nor_scottplot_through_any_reference()
    {
        var closure = Closure(typeof(ServerOptions).Assembly);

        closure.ShouldContain("Steer.Core");
        closure.ShouldNotContain("Steer.Evaluation");
        closure.ShouldNotContain(name => name.StartsWith("ScottPlot"));
    }
}

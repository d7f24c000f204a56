using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Steer.Tests.Deploy;

/// <summary>The Kubernetes manifests in deploy/k8s, read as YAML documents, with the few lookups the tests need.</summary>
internal static partial class Manifest
{
    public static IReadOnlyList<YamlMappingNode> Documents(string file)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(RepositoryRoot.Path, "deploy", "k8s", file))) stream.Load(reader);
        return stream.Documents.Select(document => (YamlMappingNode)document.RootNode).ToList();
    }

    public static YamlMappingNode Single(string file, string kind) =>
        Documents(file).Single(document => Text(document, "kind") == kind);

    /// <summary>The node at a path of mapping keys and sequence indexes, e.g. ("spec", "template", "spec", "containers", 0).</summary>
    public static YamlNode At(YamlNode node, params object[] path)
    {
        foreach (var step in path)
            node = step switch
            {
                string key => ((YamlMappingNode)node).Children.TryGetValue(new YamlScalarNode(key), out var child)
                    ? child : throw new KeyNotFoundException($"no '{key}' in {node.Start}"),
                int index => ((YamlSequenceNode)node).Children[index],
                _ => throw new ArgumentException($"a path step is a key or an index, not {step}"),
            };
        return node;
    }

    public static bool Has(YamlNode node, params object[] path)
    {
        try { At(node, path); return true; }
        catch (KeyNotFoundException) { return false; }
    }

    public static string Text(YamlNode node, params object[] path) => ((YamlScalarNode)At(node, path)).Value!;

    public static int Number(YamlNode node, params object[] path) => int.Parse(Text(node, path), System.Globalization.CultureInfo.InvariantCulture);

    public static IReadOnlyList<YamlNode> Items(YamlNode node, params object[] path) => ((YamlSequenceNode)At(node, path)).Children.ToList();

    public static YamlMappingNode PodSpec(YamlMappingNode workload) => (YamlMappingNode)At(workload, "spec", "template", "spec");

    public static YamlMappingNode Container(YamlMappingNode workload) => (YamlMappingNode)Items(PodSpec(workload), "containers").Single();

    public static List<string> Args(YamlMappingNode container) => Items(container, "args").Select(arg => ((YamlScalarNode)arg).Value!).ToList();

    /// <summary>The container's plain environment values (those given as value:, not valueFrom:).</summary>
    public static Dictionary<string, string> Environment(YamlMappingNode container) =>
        Items(container, "env").Where(variable => Has(variable, "value")).ToDictionary(variable => Text(variable, "name"), variable => Text(variable, "value"));

    /// <summary>
    /// Kubernetes' expansion of <c>$(NAME)</c> in args from the container's environment: a name it does not define
    /// stays as written, as Kubernetes leaves it.
    /// </summary>
    public static string Expand(string arg, IReadOnlyDictionary<string, string> environment) =>
        Reference().Replace(arg, match => environment.TryGetValue(match.Groups[1].Value, out var value) ? value : match.Value);

    /// <summary>The mount path of the volume backed by <paramref name="claim"/>, in the pod of <paramref name="workload"/>.</summary>
    public static string MountOfClaim(YamlMappingNode workload, string claim)
    {
        var volume = Items(PodSpec(workload), "volumes").Single(v => Has(v, "persistentVolumeClaim") && Text(v, "persistentVolumeClaim", "claimName") == claim);
        return Text(Items(Container(workload), "volumeMounts").Single(m => Text(m, "name") == Text(volume, "name")), "mountPath");
    }

    /// <summary>The value following <paramref name="option"/> in a command line.</summary>
    public static string After(IReadOnlyList<string> args, string option)
    {
        var at = args.ToList().IndexOf(option);
        if (at < 0 || at + 1 >= args.Count) throw new KeyNotFoundException($"no value for {option} in: {string.Join(' ', args)}");
        return args[at + 1];
    }

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();
}

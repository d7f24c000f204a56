using Steer.Cli;
using Steer.Tests.Cli;
using Steer.Tests.IO;
using YamlDotNet.RepresentationModel;
using static Steer.Tests.Deploy.Manifest;
using InProcess = Steer.Tests.Cli.Cli;

namespace Steer.Tests.Deploy;

/// <summary>
/// deploy/k8s, read with YamlDotNet since no cluster is reachable here: the Indexed Job's index reaches --shard, the
/// merge Job reads where the shards were written, the volumes back the paths the commands use, the server's probes
/// and Service reach the port it listens on, and every container's arguments are a valid steer command line.
/// </summary>
public sealed class KubernetesManifestSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private const string Claim = "steer-data";

    [Fact]
    public void The_shared_volume_is_a_claim_every_node_can_mount_at_once()
    {
        var claim = Single("storage.yaml", "PersistentVolumeClaim");

        Text(claim, "metadata", "name").ShouldBe(Claim);
        Items(claim, "spec", "accessModes").Select(mode => ((YamlScalarNode)mode).Value).ShouldBe(["ReadWriteMany"]);
    }

    [Fact]
    public void The_sweep_job_is_indexed_and_its_index_is_the_shard_of_as_many_shards_as_completions()
    {
        // Arrange
        var job = Single("sweep-job.yaml", "Job");
        var container = Container(job);
        var args = Args(container);
        var completions = Number(job, "spec", "completions");

        // Assert
        Text(job, "spec", "completionMode").ShouldBe("Indexed");
        Number(job, "spec", "parallelism").ShouldBeInRange(1, completions);
        Text(PodSpec(job), "restartPolicy").ShouldBe("Never");
        args[0].ShouldBe("sweep");
        After(args, "--shard").ShouldBe($"$(JOB_COMPLETION_INDEX)/{completions}");
        var mount = MountOfClaim(job, Claim);
        After(args, "--out").ShouldStartWith(mount + "/");
        Environment(container)["HF_HOME"].ShouldStartWith(mount + "/");
        for (var index = 0; index < completions; index++)
            ParseErrors(ExpandIndex(args, container, index)).ShouldBeEmpty();
    }

    [Fact]
    public void Running_every_index_of_the_sweep_job_and_then_the_merge_job_gives_the_whole_sweep()
    {
        // Arrange: the manifests' command lines, with the volume as a temporary directory and the model as a small
        // formula model of 2 layers (the manifest's gpt2-xl has 48).
        using var volume = new TempDirectory();
        var job = Single("sweep-job.yaml", "Job");
        var merge = Single("merge-job.yaml", "Job");
        var mount = MountOfClaim(job, Claim);
        MountOfClaim(merge, Claim).ShouldBe(mount);
        var completions = Number(job, "spec", "completions");
        string OnVolume(string arg) => arg.StartsWith(mount + "/", StringComparison.Ordinal) ? volume.Path + arg[mount.Length..] : arg;
        List<string> Local(IEnumerable<string> args) => args.Select(OnVolume).ToList();

        // Act
        for (var index = 0; index < completions; index++)
        {
            var args = Local(ExpandIndex(Args(Container(job)), Container(job), index));
            args[args.IndexOf("--model") + 1] = fixture.Directory;
            args[args.IndexOf("--layers") + 1] = "0..1";
            var shard = InProcess.Run([.. args]);
            shard.ExitCode.ShouldBe(0, shard.Error);
        }
        var merged = InProcess.Run([.. Local(Args(Container(merge)))]);

        // Assert
        merged.ExitCode.ShouldBe(0, merged.Error);
        var coeffs = After(Args(Container(job)), "--coeffs").Split(',').Length;
        merged.Error.ShouldContain($"merged {completions} shard file(s) of a {2 * coeffs}-cell sweep");
        var results = Path.Combine(OnVolume(After(Args(Container(merge)), "--out")), "results.csv");
        File.Exists(results).ShouldBeTrue();
        Args(Container(merge))[..3].ShouldBe(["sweep", "merge", After(Args(Container(job)), "--out")]);
    }

    [Fact]
    public void The_server_is_probed_and_reached_on_the_port_it_listens_on()
    {
        // Arrange
        var deployment = Single("serve.yaml", "Deployment");
        var service = Single("serve.yaml", "Service");
        var container = Container(deployment);
        var args = Args(container);
        var port = Items(container, "ports").Single();

        // Assert: a valid serve command line on every interface, so it needs the key the Secret provides.
        args[0].ShouldBe("serve");
        ParseErrors(args).ShouldBeEmpty();
        After(args, "--host").ShouldBe("0.0.0.0");
        Number(port, "containerPort").ShouldBe(int.Parse(After(args, "--port"), System.Globalization.CultureInfo.InvariantCulture));
        var key = Items(container, "env").Single(variable => Text(variable, "name") == "STEER_API_KEY");
        Has(key, "valueFrom", "secretKeyRef", "name").ShouldBeTrue();
        foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
        {
            Text(container, probe, "httpGet", "path").ShouldBe("/healthz");
            Text(container, probe, "httpGet", "port").ShouldBe(Text(port, "name"));
        }
        Text(Items(service, "spec", "ports").Single(), "targetPort").ShouldBe(Text(port, "name"));
        foreach (var label in (YamlMappingNode)At(service, "spec", "selector"))
            Text(deployment, "spec", "template", "metadata", "labels", ((YamlScalarNode)label.Key).Value!).ShouldBe(((YamlScalarNode)label.Value).Value);

        // Assert: Kubernetes waits for the drain before it kills the pod.
        var drain = double.Parse(After(args, "--shutdown-timeout"), System.Globalization.CultureInfo.InvariantCulture);
        Number(PodSpec(deployment), "terminationGracePeriodSeconds").ShouldBeGreaterThan((int)drain);
        Environment(container)["HF_HOME"].ShouldStartWith(MountOfClaim(deployment, Claim) + "/");
        Gibibytes(Text(container, "resources", "requests", "memory")).ShouldBeLessThanOrEqualTo(Gibibytes(Text(container, "resources", "limits", "memory")));
    }

    private static List<string> ExpandIndex(IEnumerable<string> args, YamlMappingNode container, int index)
    {
        // The Job controller puts JOB_COMPLETION_INDEX into every container's environment.
        var environment = new Dictionary<string, string>(Environment(container)) { ["JOB_COMPLETION_INDEX"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        return args.Select(arg => Expand(arg, environment)).ToList();
    }

    private static IReadOnlyList<string> ParseErrors(IReadOnlyList<string> args) =>
        SteerCli.CreateRoot(new CliContext(TextWriter.Null, TextWriter.Null)).Parse([.. args]).Errors.Select(error => error.Message).ToList();

    private static double Gibibytes(string quantity) => quantity.EndsWith("Gi", StringComparison.Ordinal)
        ? double.Parse(quantity[..^2], System.Globalization.CultureInfo.InvariantCulture)
        : quantity.EndsWith("Mi", StringComparison.Ordinal)
            ? double.Parse(quantity[..^2], System.Globalization.CultureInfo.InvariantCulture) / 1024
            : throw new FormatException($"a memory quantity in Gi or Mi, not {quantity}");
}

using System.Globalization;
using System.Net;
using YamlDotNet.RepresentationModel;

namespace Baton.FunctionalTests.Install;

/// <summary>
/// deploy/kubernetes/baton.yaml is complete and agrees with itself, with the config its ConfigMap
/// carries (read by Baton's own validator, defaults filled in) and with the Dockerfile: the grace
/// arithmetic, ports, probes, preStop, rollout, resources, security, Service and PDB.
/// </summary>
public class KubernetesKitTests : IDisposable
{
    private readonly Dictionary<string, YamlMappingNode> _kinds;
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("baton-k8s-");
    private readonly string _configPath;

    public KubernetesKitTests()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(RepoFiles.Read("deploy/kubernetes/baton.yaml")));
        _kinds = stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToDictionary(d => Text(d, "kind"));
        _configPath = Path.Combine(_work.FullName, "baton.json");
        File.WriteAllText(_configPath, Text(Map(_kinds["ConfigMap"], "data"), "baton.json"));
    }

    private YamlMappingNode Deployment => _kinds["Deployment"];

    private YamlMappingNode PodSpec => Map(Map(Map(Deployment, "spec"), "template"), "spec");

    private YamlMappingNode Container => (YamlMappingNode)Seq(PodSpec, "containers").Single();

    [Fact]
    public void HasEveryPiece()
    {
        Assert.Equal(["ConfigMap", "Deployment", "PodDisruptionBudget", "Service"], _kinds.Keys.Order());
    }

    [Fact]
    public async Task ConfigMapConfig_PassesBatonCheck()
    {
        var check = await Infrastructure.BatonCli.RunAsync(["check", "--config", _configPath]);
        Assert.True(check.ExitCode == 0, check.ToString());
    }

    [Fact]
    public void ConfigMapConfig_IsTheShippedDefaultConfig()
    {
        // The image bakes deploy/baton.json in (its EXPOSE is checked against it); the ConfigMap
        // mounted over it must serve the same listeners, so the two are kept identical.
        Assert.True(
            System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(_configPath)), System.Text.Json.Nodes.JsonNode.Parse(RepoFiles.Read("deploy/baton.json"))),
            "the ConfigMap's baton.json differs from deploy/baton.json");
    }

    [Fact]
    public void TerminationGracePeriod_ExceedsPreStopPlusGracePlusDrain()
    {
        var lifecycle = RepoFiles.Settings(_configPath).Lifecycle;
        var preStop = Map(Map(Container, "lifecycle"), "preStop");

        // `baton prestop` returns when the drain begins: after ShutdownGracePeriod. A native
        // `sleep` preStop lasts its seconds. Either way, count a full grace period again for the
        // SIGTERM that follows (it starts one after a sleep), then the whole drain.
        double preStopSeconds = preStop.Children.ContainsKey("exec")
            ? lifecycle.ShutdownGracePeriod.TotalSeconds
            : double.Parse(Text(Map(preStop, "sleep"), "seconds"), CultureInfo.InvariantCulture);
        var needed = preStopSeconds + lifecycle.ShutdownGracePeriod.TotalSeconds + lifecycle.DrainTimeout.TotalSeconds;
        var granted = double.Parse(Text(PodSpec, "terminationGracePeriodSeconds"), CultureInfo.InvariantCulture);
        Assert.True(granted > needed, $"terminationGracePeriodSeconds {granted} must exceed preStop {preStopSeconds} + grace {lifecycle.ShutdownGracePeriod.TotalSeconds} + drain {lifecycle.DrainTimeout.TotalSeconds} = {needed}");
    }

    [Fact]
    public void PreStop_IsBatonPrestopAgainstTheConfigsAdminListener()
    {
        var settings = RepoFiles.Settings(_configPath);
        var command = Seq(Map(Map(Map(Container, "lifecycle"), "preStop"), "exec"), "command").Select(n => ((YamlScalarNode)n).Value!).ToArray();
        var dockerfile = DockerfileFacts.Parse(RepoFiles.Read("Dockerfile"))[^1];
        Assert.Equal(dockerfile.CopyDestination("/out/baton"), command[0]);
        Assert.Equal("prestop", command[1]);
        Assert.Equal(settings.Admin!.Address, command[Array.IndexOf(command, "--admin") + 1]);
    }

    [Fact]
    public void PortsAndProbes_MatchTheConfigsListeners()
    {
        var settings = RepoFiles.Settings(_configPath);
        var ports = Seq(Container, "ports").Cast<YamlMappingNode>().ToDictionary(p => Text(p, "name"), p => int.Parse(Text(p, "containerPort"), CultureInfo.InvariantCulture));
        Assert.Equal(RepoFiles.PublicPorts(settings), ports.Values.Order().ToArray());

        foreach (var (probe, path) in new[] { ("readinessProbe", "/readyz"), ("livenessProbe", "/livez") })
        {
            var get = Map(Map(Container, probe), "httpGet");
            Assert.Equal(path, Text(get, "path"));
            var port = Text(get, "port");
            var number = ports.TryGetValue(port, out var named) ? named : int.Parse(port, CultureInfo.InvariantCulture);
            var listener = Assert.Single(settings.Listeners, l => l.EndPoint is IPEndPoint ip && ip.Port == number);
            Assert.True(listener.HealthEndpoints, $"{probe} probes listener {listener.Key}, which needs \"HealthEndpoints\": true (the kubelet cannot reach the loopback admin listener)");
        }

        // Readiness must notice the grace period's 503 within it.
        var readiness = Map(Container, "readinessProbe");
        var seconds = int.Parse(Text(readiness, "periodSeconds"), CultureInfo.InvariantCulture) * int.Parse(Text(readiness, "failureThreshold"), CultureInfo.InvariantCulture);
        Assert.True(seconds < settings.Lifecycle.ShutdownGracePeriod.TotalSeconds, $"readiness notices in {seconds} s; the grace period is {settings.Lifecycle.ShutdownGracePeriod}");
    }

    [Fact]
    public void RollingUpdate_NeverTakesAPodAwayFirst_AndThePdbKeepsOneServing()
    {
        var spec = Map(Deployment, "spec");
        Assert.Equal("RollingUpdate", Text(Map(spec, "strategy"), "type"));
        Assert.Equal("0", Text(Map(Map(spec, "strategy"), "rollingUpdate"), "maxUnavailable"));

        var labels = Labels(Map(Map(spec, "template"), "metadata"), "labels");
        Assert.Equal(labels, Labels(Map(spec, "selector"), "matchLabels"));
        var pdb = Map(_kinds["PodDisruptionBudget"], "spec");
        Assert.Equal(labels, Labels(Map(pdb, "selector"), "matchLabels"));
        var replicas = int.Parse(Text(spec, "replicas"), CultureInfo.InvariantCulture);
        var minAvailable = int.Parse(Text(pdb, "minAvailable"), CultureInfo.InvariantCulture);
        Assert.InRange(minAvailable, 1, replicas - 1); // a node drain can still evict, one pod at a time
    }

    [Fact]
    public void Service_SelectsThePods_OnTheNamedPort()
    {
        var spec = Map(_kinds["Service"], "spec");
        Assert.Equal(Labels(Map(Map(Map(Deployment, "spec"), "template"), "metadata"), "labels"), Labels(spec, "selector"));
        var names = Seq(Container, "ports").Cast<YamlMappingNode>().Select(p => Text(p, "name")).ToHashSet();
        Assert.All(Seq(spec, "ports").Cast<YamlMappingNode>(), p => Assert.Contains(Text(p, "targetPort"), names));
    }

    [Fact]
    public void ImageUserResourcesAndSecurity_AreSet()
    {
        Assert.Equal($"baton:{RepoFiles.Version}", Text(Container, "image"));

        var dockerUser = DockerfileFacts.Parse(RepoFiles.Read("Dockerfile"))[^1].Last("USER")!.Split(':')[0];
        var pod = Map(PodSpec, "securityContext");
        Assert.Equal("true", Text(pod, "runAsNonRoot"));
        Assert.Equal(dockerUser, Text(pod, "runAsUser"));

        var container = Map(Container, "securityContext");
        Assert.Equal("false", Text(container, "allowPrivilegeEscalation"));
        Assert.Equal("true", Text(container, "readOnlyRootFilesystem"));
        Assert.Equal(["ALL"], Seq(Map(container, "capabilities"), "drop").Select(n => ((YamlScalarNode)n).Value));

        var resources = Map(Container, "resources");
        Assert.True(Map(resources, "requests").Children.ContainsKey("cpu"));
        Assert.True(Map(resources, "requests").Children.ContainsKey("memory"));
        Assert.True(Map(resources, "limits").Children.ContainsKey("memory"));

        // The ConfigMap is mounted where the image's entrypoint reads the config.
        var configPath = DockerfileFacts.Parse(RepoFiles.Read("Dockerfile"))[^1].CopyDestination("deploy/baton.json")!;
        var mount = Seq(Container, "volumeMounts").Cast<YamlMappingNode>().Single(m => Text(m, "name") == "config");
        Assert.Equal(Path.GetDirectoryName(configPath), Text(mount, "mountPath"));
        Assert.True(Map(_kinds["ConfigMap"], "data").Children.ContainsKey(Path.GetFileName(configPath)));
    }

    public void Dispose() => _work.Delete(recursive: true);

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    private static YamlSequenceNode Seq(YamlMappingNode node, string key) => (YamlSequenceNode)node.Children[new YamlScalarNode(key)];

    private static string Text(YamlMappingNode node, string key) => ((YamlScalarNode)node.Children[new YamlScalarNode(key)]).Value!;

    private static Dictionary<string, string> Labels(YamlMappingNode node, string key)
        => Map(node, key).Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!);
}

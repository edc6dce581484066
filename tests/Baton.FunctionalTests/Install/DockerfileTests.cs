using System.Globalization;

namespace Baton.FunctionalTests.Install;

/// <summary>
/// No container engine runs here, so the Dockerfile's facts are checked against what they must
/// agree with: the native build script, the shipped config (ports), and what makes Baton's
/// shutdown and supervisor work (stop signal, PID 1, a non-root user).
/// </summary>
public class DockerfileTests
{
    private static readonly List<DockerStage> s_stages = DockerfileFacts.Parse(RepoFiles.Read("Dockerfile"));

    private static DockerStage Final => s_stages[^1];

    [Fact]
    public void IsMultiStage_BuildsWithThePublishScript_RunsOnAMinimalBase()
    {
        Assert.True(s_stages.Count >= 2, "a build stage and a runtime stage");
        var build = Assert.Single(s_stages, s => s.Name == "build");
        Assert.Contains(build.All("RUN"), r => r.Contains("eng/publish-native.sh", StringComparison.Ordinal));

        // The native executable needs libc and OpenSSL, not the .NET runtime or an SDK.
        Assert.StartsWith("mcr.microsoft.com/dotnet/runtime-deps:", Final.From);
        Assert.Contains("chiseled", Final.From);
        Assert.Contains(Final.All("COPY"), c => c.StartsWith("--from=build ", StringComparison.Ordinal));
        Assert.DoesNotContain(Final.All("RUN"), _ => true);
    }

    [Fact]
    public void RunsAsNonRoot()
    {
        var user = Final.Last("USER");
        Assert.NotNull(user);
        var uid = user!.Split(':')[0];
        Assert.True(int.TryParse(uid, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id != 0,
            $"USER must be a numeric non-root uid (Kubernetes runAsNonRoot can only verify a number); got '{user}'");
    }

    [Fact]
    public void StopsWithSigterm_AndBatonIsPid1()
    {
        Assert.Equal("SIGTERM", Final.Last("STOPSIGNAL"));

        // Exec form: no shell in between, so the kernel's PID 1 is Baton and it starts its supervisor.
        var entrypoint = DockerStage.ExecForm(Final.Last("ENTRYPOINT"));
        Assert.NotNull(entrypoint);
        Assert.Null(Final.Last("CMD"));
        Assert.Equal(Final.CopyDestination("/out/baton"), entrypoint![0]);
        Assert.Equal("run", entrypoint[1]);
        Assert.DoesNotContain("--supervise", entrypoint); // automatic as PID 1
        var config = entrypoint[Array.IndexOf(entrypoint, "--config") + 1];
        Assert.Equal(Final.CopyDestination("deploy/baton.json"), config);
    }

    [Fact]
    public void ExposesExactlyTheShippedConfigsListenerPorts()
    {
        var settings = RepoFiles.Settings(RepoFiles.PathOf("deploy/baton.json"));
        var exposed = Final.All("EXPOSE").SelectMany(e => e.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => int.Parse(p.Split('/')[0], CultureInfo.InvariantCulture)).Order().ToArray();
        Assert.Equal(RepoFiles.PublicPorts(settings), exposed);
        Assert.DoesNotContain(exposed, p => p == ((System.Net.IPEndPoint)settings.Admin!.EndPoint).Port);
    }

    [Fact]
    public void DockerignoreKeepsWhatTheBuildCopies()
    {
        var ignored = RepoFiles.Read(".dockerignore").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var needed in new[] { "src", "eng", "deploy", "Directory.Build.props", "Directory.Packages.props" })
        {
            Assert.DoesNotContain(ignored, i => i.TrimEnd('/') == needed);
            Assert.True(File.Exists(RepoFiles.PathOf(needed)) || Directory.Exists(RepoFiles.PathOf(needed)), needed);
        }

        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
    }
}

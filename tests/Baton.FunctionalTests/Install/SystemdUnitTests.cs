using System.Globalization;
using System.Net;

namespace Baton.FunctionalTests.Install;

/// <summary>deploy/systemd's units agree with the default config they are shipped with and with the package that installs them.</summary>
public class SystemdUnitTests
{
    private static readonly Dictionary<string, List<string>> s_service = Parse(RepoFiles.Read("deploy/systemd/baton.service"));
    private static readonly Dictionary<string, List<string>> s_socket = Parse(RepoFiles.Read("deploy/systemd/baton.socket"));

    [Fact]
    public void Service_RunsThePackagedBinaryOnThePackagedConfig_AsTheBatonUser()
    {
        Assert.Equal("/usr/bin/baton run --config /etc/baton/baton.json", Assert.Single(s_service["ExecStart"]));
        Assert.Equal("/usr/bin/baton upgrade --config /etc/baton/baton.json", Assert.Single(s_service["ExecReload"]));
        Assert.Equal("baton", Assert.Single(s_service["User"]));
        Assert.Contains("adduser --system --group", RepoFiles.Read("deploy/debian/postinst"));
        Assert.Equal("notify", Assert.Single(s_service["Type"]));
        Assert.Equal("SIGTERM", Assert.Single(s_service["KillSignal"]));

        // systemctl reload is `baton upgrade`: upgrades must be on in the shipped config.
        Assert.True(RepoFiles.Settings(RepoFiles.PathOf("deploy/baton.json")).Lifecycle.EnableZeroDowntime);
    }

    [Fact]
    public void StopTimeout_ExceedsGracePlusDrain()
    {
        var lifecycle = RepoFiles.Settings(RepoFiles.PathOf("deploy/baton.json")).Lifecycle;
        var timeout = double.Parse(Assert.Single(s_service["TimeoutStopSec"]), CultureInfo.InvariantCulture);
        Assert.True(timeout > (lifecycle.ShutdownGracePeriod + lifecycle.DrainTimeout).TotalSeconds,
            $"TimeoutStopSec {timeout} must exceed ShutdownGracePeriod {lifecycle.ShutdownGracePeriod} + DrainTimeout {lifecycle.DrainTimeout}");
    }

    [Fact]
    public void Socket_BindsTheConfigsListener_ByItsName()
    {
        var settings = RepoFiles.Settings(RepoFiles.PathOf("deploy/baton.json"));
        var name = Assert.Single(s_socket["FileDescriptorName"]);
        var listener = Assert.Single(settings.Listeners, l => l.Key == name);
        Assert.Equal(listener.EndPoint, IPEndPoint.Parse(Assert.Single(s_socket["ListenStream"])));
        Assert.Equal(listener.Backlog.ToString(CultureInfo.InvariantCulture), Assert.Single(s_socket["Backlog"]));
    }

    private static Dictionary<string, List<string>> Parse(string unit)
    {
        var result = new Dictionary<string, List<string>>();
        foreach (var line in unit.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] is not '#' and not ';' and not '['))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            var key = line[..eq];
            if (!result.TryGetValue(key, out var values))
            {
                result[key] = values = new List<string>();
            }

            values.Add(line[(eq + 1)..]);
        }

        return result;
    }
}

using System.Net;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// An upgrade to a config that moves a listener (issue 11, defect 4): the new process compares the
/// handed socket's real address with its config, binds the new address, and lets go of the old
/// socket, which closes with the old process.
/// </summary>
[Collection(UpgradeCollection.Name)]
public class ListenerMoveTests
{
    [Fact]
    public async Task Upgrade_ToAConfigThatMovesTheListener_BindsTheNewAddressAndTheOldOneClosesWithTheOldProcess()
    {
        await using var rig = await UpgradeRig.StartAsync();
        int oldPort = new Uri($"http://{rig.Address("public")}").Port;
        int newPort = FreePorts.Reserve();
        ((System.Text.Json.Nodes.JsonObject)rig.Host.Listeners["public"]!)["Address"] = $"127.0.0.1:{newPort}";
        rig.Host.WriteConfig();

        var step = await rig.ReExecAsync();

        var moved = await rig.Current.WaitForEventAsync(BatonEventIds.ListenerMoved, UpgradeRig.EventTimeout, e => e.Get("Key") == "public");
        Assert.Contains($":{oldPort}", moved.Get("Old"));
        Assert.Contains($":{newPort}", moved.Get("New"));
        using var client = Clients.Http1();
        using (var response = await client.GetAsync(new Uri($"http://127.0.0.1:{newPort}/whoami")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await rig.AssertDrainedAndExitedAsync(step.OldPid);
        Assert.False(await FreePorts.IsAcceptingAsync(oldPort), $"port {oldPort} is not in the new config: it must close with the old process");
        Assert.True(await FreePorts.IsAcceptingAsync(newPort));
        Assert.Equal(step.NewPid, (await rig.StatusAsync()).GetProperty("pid").GetInt32());
        await rig.StopServingAsync();
    }
}

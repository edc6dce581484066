using Baton.Configuration;
using Baton.Proxy;

namespace Baton.Upgrade;

/// <summary>Registers the upgrade machinery when <c>Lifecycle:EnableZeroDowntime</c> is on.</summary>
internal static class UpgradeServices
{
    public static void Add(IServiceCollection services, BatonSettings settings, RunOptions run, HandoffIntake intake)
    {
        services.AddSingleton(intake);
    }
}

using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Baton.Proxy;

/// <summary>
/// The per-process key that protects session-affinity cookies, made on first use. Creating an
/// <see cref="EphemeralDataProtectionProvider"/> draws its key from OpenSSL's random generator,
/// which loads and initializes libcrypto and libssl at start-up (measured: ~3.8 MB RSS and the
/// library's init on every new process, bench/PROFILE.md) although most configs never encrypt a
/// cookie. YARP's cookie and header affinity policies create their protector when they are built,
/// so the protectors handed out here defer as well: the key is made at the first Protect/Unprotect.
/// </summary>
internal sealed class DeferredDataProtectionProvider : IDataProtectionProvider
{
    /// <summary>
    /// Registers this provider in place of the key ring that YARP's <c>AddReverseProxy</c> adds
    /// (<c>AddDataProtection</c>). Call after <c>AddReverseProxy</c>: it also removes data
    /// protection's hosted service, which at every start read the key ring from
    /// <c>~/.aspnet/DataProtection-Keys</c> (or created one there), parsed its XML and built its
    /// encryptor — OpenSSL loaded, and start-up work, for a key ring nothing in Baton uses.
    /// </summary>
    public static void Replace(IServiceCollection services)
    {
        services.Replace(ServiceDescriptor.Singleton<IDataProtectionProvider>(new DeferredDataProtectionProvider()));
        var dataProtection = typeof(EphemeralDataProtectionProvider).Assembly;
        for (int i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(IHostedService) && services[i].ImplementationType?.Assembly == dataProtection)
            {
                services.RemoveAt(i);
            }
        }
    }

    private readonly Lazy<IDataProtectionProvider> _inner = new(() => new EphemeralDataProtectionProvider(), LazyThreadSafetyMode.ExecutionAndPublication);

    public IDataProtector CreateProtector(string purpose) => new DeferredProtector(() => _inner.Value.CreateProtector(purpose));

    private sealed class DeferredProtector(Func<IDataProtector> create) : IDataProtector
    {
        private readonly Lazy<IDataProtector> _inner = new(create, LazyThreadSafetyMode.ExecutionAndPublication);

        public IDataProtector CreateProtector(string purpose) => new DeferredProtector(() => _inner.Value.CreateProtector(purpose));

        public byte[] Protect(byte[] plaintext) => _inner.Value.Protect(plaintext);

        public byte[] Unprotect(byte[] protectedData) => _inner.Value.Unprotect(protectedData);
    }
}

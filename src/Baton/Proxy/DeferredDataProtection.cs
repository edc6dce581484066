using Microsoft.AspNetCore.DataProtection;

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

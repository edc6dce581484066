using Baton.Hosting.Diagnostics;

namespace Baton.Tls;

public sealed partial class TlsCertificates
{
    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.CertificateLoaded, LogLevel.Information, "Certificate loaded ({Source}) for {Uses}: {Subject}, expires {NotAfter}, SHA-256 {Thumbprint}, from {Path}", EventName = nameof(BatonEventIds.CertificateLoaded))]
        public static partial void Loaded(ILogger logger, string uses, string subject, string notAfter, string thumbprint, string path, string source);

        [LoggerMessage(BatonEventIds.CertificateReloadFailed, LogLevel.Warning, "Certificate for {Uses} not reloaded, still serving {Thumbprint}: {Error}", EventName = nameof(BatonEventIds.CertificateReloadFailed))]
        public static partial void ReloadFailed(ILogger logger, string uses, string error, string thumbprint);

        [LoggerMessage(BatonEventIds.CertificateExpiresSoon, LogLevel.Warning, "Certificate for {Uses} expires in {DaysLeft} days ({NotAfter}): {Subject}, from {Path}; renew it (the file reloads by itself)", EventName = nameof(BatonEventIds.CertificateExpiresSoon))]
        public static partial void ExpiresSoon(ILogger logger, string uses, string subject, string notAfter, double daysLeft, string path);

        [LoggerMessage(BatonEventIds.CertificateExpired, LogLevel.Error, "Certificate for {Uses} has expired ({NotAfter}): {Subject}, from {Path}; clients refuse it until it is renewed", EventName = nameof(BatonEventIds.CertificateExpired))]
        public static partial void Expired(ILogger logger, string uses, string subject, string notAfter, string path);
    }
}

namespace Baton.Policies;

/// <summary>One CORS policy (ASP.NET Core's CORS middleware).</summary>
/// <param name="Origins">Allowed origins; <c>*</c> for any.</param>
/// <param name="Methods">Allowed methods; empty for any.</param>
/// <param name="Headers">Allowed request headers; empty for any.</param>
/// <param name="ExposedHeaders">Response headers the browser may read.</param>
/// <param name="AllowCredentials">Allow cookies and credentials (not with origin <c>*</c>).</param>
/// <param name="MaxAge">How long a preflight answer may be cached; none by default.</param>
public sealed record CorsPolicySettings(
    IReadOnlyList<string> Origins,
    IReadOnlyList<string> Methods,
    IReadOnlyList<string> Headers,
    IReadOnlyList<string> ExposedHeaders,
    bool AllowCredentials,
    TimeSpan? MaxAge);

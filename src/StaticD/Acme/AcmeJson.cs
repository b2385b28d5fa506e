using System.Text.Json.Serialization;

namespace StaticD.Acme;

// The RFC 8555 objects staticd reads and writes, and its own state files; System.Text.Json source generation
// (no reflection: Native AOT). Unknown members are ignored, as the RFC asks of clients (§7.1 "clients MUST
// ignore" fields they do not understand).

/// <summary>RFC 8555 §7.1.1; renewalInfo from RFC 9773 (ARI).</summary>
internal sealed class AcmeDirectory
{
    public string? NewNonce { get; set; }
    public string? NewAccount { get; set; }
    public string? NewOrder { get; set; }
    public string? RenewalInfo { get; set; }
    public AcmeDirectoryMeta? Meta { get; set; }
}

internal sealed class AcmeDirectoryMeta
{
    public string? TermsOfService { get; set; }
}

internal sealed class AcmeIdentifier
{
    public string Type { get; set; } = "dns";
    public string Value { get; set; } = "";
}

/// <summary>RFC 8555 §7.1.3.</summary>
internal sealed class AcmeOrder
{
    public string? Status { get; set; }
    public List<AcmeIdentifier> Identifiers { get; set; } = [];
    public List<string> Authorizations { get; set; } = [];
    public string? Finalize { get; set; }
    public string? Certificate { get; set; }
    public AcmeProblem? Error { get; set; }
}

/// <summary>RFC 8555 §7.1.4.</summary>
internal sealed class AcmeAuthorization
{
    public string? Status { get; set; }
    public AcmeIdentifier? Identifier { get; set; }
    public List<AcmeChallenge> Challenges { get; set; } = [];
}

internal sealed class AcmeChallenge
{
    public string? Type { get; set; }
    public string? Url { get; set; }
    public string? Token { get; set; }
    public string? Status { get; set; }
    public AcmeProblem? Error { get; set; }
}

/// <summary>RFC 7807 problem document (RFC 8555 §6.7).</summary>
internal sealed class AcmeProblem
{
    public string? Type { get; set; }
    public string? Detail { get; set; }
    public List<AcmeProblem>? Subproblems { get; set; }

    public override string ToString()
    {
        string text = $"{Type ?? "unknown problem"}: {Detail ?? "(no detail)"}";
        if (Subproblems is { Count: > 0 } sub) text += " [" + string.Join("; ", sub.Select(s => s.ToString())) + "]";
        return text;
    }
}

/// <summary>RFC 9773 §4.2.</summary>
internal sealed class AcmeRenewalInfo
{
    public AcmeWindow? SuggestedWindow { get; set; }
}

internal sealed class AcmeWindow
{
    public DateTimeOffset Start { get; set; }
    public DateTimeOffset End { get; set; }
}

internal sealed class NewAccountRequest
{
    public bool TermsOfServiceAgreed { get; set; }
    public List<string>? Contact { get; set; }
}

internal sealed class NewOrderRequest
{
    public List<AcmeIdentifier> Identifiers { get; set; } = [];
    /// <summary>RFC 9773 §5: the ARI certificate identifier of the certificate this order renews.</summary>
    public string? Replaces { get; set; }
}

internal sealed class FinalizeRequest
{
    public string Csr { get; set; } = "";
}

internal sealed class EmptyRequest;

/// <summary>account.json: which server the key is registered with, and the account's URL (the JWS kid).</summary>
internal sealed class AccountRecord
{
    public string Directory { get; set; } = "";
    public string Url { get; set; } = "";
}

/// <summary>certificates/NAME/order.json: the order in flight (so a restart resumes it instead of creating a
/// second one) and the failure history that paces retries (kept after the order is gone).</summary>
internal sealed class OrderRecord
{
    public string? Url { get; set; }
    public List<string> Names { get; set; } = [];
    public DateTimeOffset? CreatedAt { get; set; }
    /// <summary>When an order for these names last ended invalid (Acme:FailedOrderInterval counts from here).</summary>
    public DateTimeOffset? LastFailedOrder { get; set; }
    /// <summary>When the last attempt (of any kind) failed, and how many failed in a row (the back-off).</summary>
    public DateTimeOffset? LastFailure { get; set; }
    public int ConsecutiveFailures { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(AcmeDirectory))]
[JsonSerializable(typeof(AcmeOrder))]
[JsonSerializable(typeof(AcmeAuthorization))]
[JsonSerializable(typeof(AcmeProblem))]
[JsonSerializable(typeof(AcmeRenewalInfo))]
[JsonSerializable(typeof(NewAccountRequest))]
[JsonSerializable(typeof(NewOrderRequest))]
[JsonSerializable(typeof(FinalizeRequest))]
[JsonSerializable(typeof(EmptyRequest))]
[JsonSerializable(typeof(AccountRecord))]
[JsonSerializable(typeof(OrderRecord))]
internal sealed partial class AcmeJson : JsonSerializerContext;

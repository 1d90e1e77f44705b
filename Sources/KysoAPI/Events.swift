public import Foundation

/// One event on `GET /v1/events`, sent as Server-Sent Events: `id` is a sequence number, `event` the type,
/// `data` one line of JSON.
public struct DaemonEvent: Codable, Sendable, Equatable {
    public var id: UInt64
    public var type: EventType
    public var time: Date
    public var data: EventData

    public init(id: UInt64, type: EventType, time: Date, data: EventData) {
        self.id = id
        self.type = type
        self.time = time
        self.data = data
    }
}

public enum EventType: String, Codable, Sendable, CaseIterable {
    /// First event of every stream (and after a resume from too far back): all tokens now.
    case snapshot
    case readerAdded = "reader.added"
    case readerRemoved = "reader.removed"
    case cardInserted = "card.inserted"
    case cardRemoved = "card.removed"
    case tokenInserted = "token.inserted"
    case tokenRemoved = "token.removed"
    case tokenChanged = "token.changed"
    /// A module failed: it did not load or start, its slot listing keeps failing, or its host process crashed
    /// (its tokens were withdrawn first, each with `token.removed`).
    case moduleFailed = "module.failed"
    /// A call into a module did not return within the deadline (its tokens were withdrawn first; an isolated
    /// module's host is killed and restarted).
    case moduleStuck = "module.stuck"
    /// A failed or stuck module answers again; its tokens follow as `token.inserted`.
    case moduleRecovered = "module.recovered"
    case pcscUnavailable = "pcsc.unavailable"
    case pcscAvailable = "pcsc.available"
    case bindingCreated = "binding.created"
    /// A binding moved to another certificate (`PUT /v1/bindings/{account}`, after a renewal).
    case bindingMoved = "binding.moved"
    case bindingRemoved = "binding.removed"
    case bindingRenewalNeeded = "binding.renewal-needed"
    case bindingExpiring = "binding.expiring"
    /// A certificate on a present token ends within 30, 7 or 1 days (once per threshold; checked at insertion and daily).
    case certificateExpiring = "certificate.expiring"
    /// A certificate on a present token has ended (once).
    case certificateExpired = "certificate.expired"
    /// A remote signing service waits for the holder to approve a signature on their phone (`tokenId`,
    /// `certificate`, `deadline`): tell them. The request answers once they approve, refuse, or the deadline passes.
    case signatureAwaitingApproval = "signature.awaiting-approval"
}

/// The payload of an event; which fields are set depends on the type.
public struct EventData: Codable, Sendable, Equatable {
    public var tokens: [TokenInfoResponse]?
    public var token: TokenInfoResponse?
    public var tokenId: String?
    public var reader: String?
    public var atr: String?
    public var module: String?
    public var error: String?
    public var binding: BindingInfo?
    /// The account a binding event is about (User ID or admin tax code).
    public var account: String?
    /// For `binding.renewal-needed`: the certificate now on the token that could take the binding over; for
    /// `binding.expiring` and `certificate.*`: the certificate the event is about.
    public var certificate: String?
    /// For `certificate.expiring` and `certificate.expired`: whole days until the certificate ends (negative after).
    public var daysLeft: Int?
    /// For `signature.awaiting-approval`: when kysod stops waiting for the holder.
    public var deadline: Date?

    public init(
        tokens: [TokenInfoResponse]? = nil, token: TokenInfoResponse? = nil, tokenId: String? = nil,
        reader: String? = nil, atr: String? = nil, module: String? = nil, error: String? = nil,
        binding: BindingInfo? = nil, account: String? = nil, certificate: String? = nil, daysLeft: Int? = nil,
        deadline: Date? = nil
    ) {
        self.deadline = deadline
        self.tokens = tokens
        self.token = token
        self.tokenId = tokenId
        self.reader = reader
        self.atr = atr
        self.module = module
        self.error = error
        self.binding = binding
        self.account = account
        self.certificate = certificate
        self.daysLeft = daysLeft
    }
}

public import Foundation

/// The rules that decide whether a signed registration statement may become a binding, pure over explicit inputs.
///
/// - The certificate must be valid at `now` and carry a tax code equal to the account's or a branch of it.
/// - A certificate serves at most one declarant account; a User ID is bound once.
/// - An admin account belongs to one tax code and is bound once; any certificate of that tax code may be used
///   with it, so a second certificate of the same tax code is not a second admin binding.
/// - The statement must name exactly this certificate and have been issued while it was valid, not in the future.
/// - The certificate's issuer must be a known licensed CA (the CA table) unless `allowUnknownCAs`: anyone can make
///   a self-signed certificate that carries a company's tax code.
///
/// The CMS signature is the caller's to verify before asking; the store enforces uniqueness again underneath.
public struct BindingRules: Sendable {
    /// How far a statement's `issuedAt` may be ahead of `now` (clocks of two machines disagree a little).
    public var clockSkew: TimeInterval
    /// How old a statement may be when bound; nil for no limit (a caller's challenge already proves freshness).
    public var maximumStatementAge: TimeInterval?
    /// Bound certificates ending within this many days are announced.
    public var expiringSoonDays: Int
    /// Whether a certificate whose issuer the CA table does not know may be bound.
    public var allowUnknownCAs: Bool

    public init(
        clockSkew: TimeInterval = 300, maximumStatementAge: TimeInterval? = nil, expiringSoonDays: Int = 30,
        allowUnknownCAs: Bool = false
    ) {
        self.clockSkew = clockSkew
        self.maximumStatementAge = maximumStatementAge
        self.expiringSoonDays = expiringSoonDays
        self.allowUnknownCAs = allowUnknownCAs
    }

    /// Why a certificate from an unknown CA may not be used, or nil when its CA is known or unknown ones are allowed.
    public func unknownCARefusal(_ profile: CertificateProfile) -> BindingRefusal? {
        guard !allowUnknownCAs, !profile.provider.isKnown else { return nil }
        return BindingRefusal(
            .unknownCA,
            "the certificate's issuer (CN=\(profile.provider.issuerCommonName ?? "none")) is not a known Vietnamese licensed CA; bindings.allowUnknownCAs in kysod.json accepts it")
    }

    /// Decides a new binding: the binding to store, or why not.
    public func bind(
        _ request: BindingRequest, certificate: CertificateProfile, existing: [AccountBinding], now: Date
    ) -> Result<AccountBinding, BindingRefusal> {
        Result { () throws(BindingRefusal) -> AccountBinding in
            let bound = try checkCertificate(request, certificate, now: now)
            let account = request.statement.account
            switch account.role {
            case .admin:
                if let admin = existing.first(where: { $0.account.role == .admin && $0.account.taxCode == account.taxCode }) {
                    throw BindingRefusal(
                        .alreadyBound,
                        "the admin account of tax code \(account.taxCode) is already bound; any certificate of that tax code can be used with it",
                        conflictingAccount: admin.key)
                }
            case .declarant:
                let userId = account.userId!
                if let same = existing.first(where: { $0.account.userId == userId }) {
                    if same.certificate.sha256 == bound.sha256 {
                        throw BindingRefusal(
                            .alreadyBound, "User ID \(userId) is already bound to this certificate", conflictingAccount: same.key)
                    }
                    throw BindingRefusal(
                        .userIdTaken,
                        "User ID \(userId) is already bound to another certificate (serial \(same.certificate.serialNumber)); use rebind to move it",
                        conflictingAccount: same.key)
                }
                if let other = Self.declarant(boundTo: bound.sha256, in: existing) {
                    throw BindingRefusal(
                        .certificateBoundToOtherAccount,
                        "this certificate already serves declarant account \(other.key); a certificate serves at most one declarant account",
                        conflictingAccount: other.key)
                }
            }
            return AccountBinding(
                account: account, certificate: bound, statement: request.statementBytes, signature: request.signature,
                createdAt: now)
        }
    }

    /// Decides moving a bound account to another certificate (after a renewal, or a change the user signed for).
    /// The statement must name the same account fields as the binding; the result replaces it.
    public func rebind(
        _ account: AccountKey, to request: BindingRequest, certificate: CertificateProfile, existing: [AccountBinding],
        now: Date
    ) -> Result<AccountBinding, BindingRefusal> {
        Result { () throws(BindingRefusal) -> AccountBinding in
            guard let current = existing.first(where: { $0.key == account }) else {
                throw BindingRefusal(.notBound, "account \(account) is not bound; bind it first")
            }
            guard request.statement.account == current.account else {
                throw BindingRefusal(
                    .accountMismatch,
                    "the statement's account fields differ from those bound to \(account); a rebind keeps role, tax code, User ID and Terminal ID")
            }
            let bound = try checkCertificate(request, certificate, now: now)
            if bound.sha256 == current.certificate.sha256 {
                throw BindingRefusal(.sameCertificate, "account \(account) is already bound to this certificate")
            }
            if current.account.role == .declarant, let other = Self.declarant(boundTo: bound.sha256, in: existing) {
                throw BindingRefusal(
                    .certificateBoundToOtherAccount,
                    "this certificate already serves declarant account \(other.key); a certificate serves at most one declarant account",
                    conflictingAccount: other.key)
            }
            return AccountBinding(
                account: current.account, certificate: bound, statement: request.statementBytes,
                signature: request.signature, createdAt: now)
        }
    }

    /// Declarant bindings whose certificate is gone (or present but expired) while a newer, valid certificate of
    /// the same tax code and holder is present and serves no other declarant account. One candidate per binding
    /// (the one valid longest), sorted by User ID. Admin bindings never need renewal: any certificate of their
    /// tax code serves them.
    public func renewalCandidates(
        bindings: [AccountBinding], present: [CertificateProfile], now: Date
    ) -> [RenewalCandidate] {
        let presentBySHA = Dictionary(present.map { ($0.fingerprints.sha256, $0) }, uniquingKeysWith: { first, _ in first })
        var candidates: [RenewalCandidate] = []
        for binding in bindings where binding.account.role == .declarant {
            let old = binding.certificate
            let oldPresent = presentBySHA[old.sha256]
            // The usual case is both tokens plugged in while the old certificate is still valid: the renewal is then
            // a newer certificate from the same CA (a company's second token from another CA is not a renewal).
            let oldInUse = oldPresent.map { CertificateStatus(validity: $0.validity, now: now) != .expired } ?? false
            let renewals = presentBySHA.values.filter { profile in
                guard profile.fingerprints.sha256 != old.sha256, profile.taxCode == old.taxCode,
                    profile.validity.notAfter > old.notAfter,
                    !oldInUse || (BoundCertificate(profile: profile)?.issuer == old.issuer && profile.validity.notBefore > old.notBefore),
                    Self.isUsable(CertificateStatus(validity: profile.validity, now: now)),
                    CertificateHolder(profile: profile).isSameHolder(as: old.holder)
                else { return false }
                return Self.declarant(boundTo: profile.fingerprints.sha256, in: bindings) == nil
            }
            let best = renewals.max { lhs, rhs in
                (lhs.validity.notAfter, lhs.fingerprints.sha256) < (rhs.validity.notAfter, rhs.fingerprints.sha256)
            }
            if let best {
                candidates.append(RenewalCandidate(binding: binding, certificate: best, boundCertificatePresent: oldPresent != nil))
            }
        }
        return candidates.sorted { $0.binding.key.text < $1.binding.key.text }
    }

    /// Bindings whose certificate is still valid but ends within `expiringSoonDays`, soonest first.
    public func expiringSoon(bindings: [AccountBinding], now: Date) -> [AccountBinding] {
        bindings.filter {
            CertificateStatus(validity: $0.certificate.validity, now: now, expiringSoonDays: expiringSoonDays) == .expiringSoon
        }.sorted { ($0.certificate.notAfter, $0.key.text) < ($1.certificate.notAfter, $1.key.text) }
    }

    /// The accounts a certificate can be used with, to show on a token: declarant accounts bound to it, and the
    /// admin account of any tax code it serves.
    public static func accounts(usableWith certificate: CertificateProfile, in bindings: [AccountBinding]) -> [AccountBinding] {
        bindings.filter { binding in
            switch binding.account.role {
            case .declarant: binding.certificate.sha256 == certificate.fingerprints.sha256
            case .admin: certificate.taxCode?.servesAccount(of: binding.account.taxCode) ?? false
            }
        }.sorted { $0.key.text < $1.key.text }
    }

    // MARK: - Shared checks

    /// Statement names this certificate, certificate valid now, statement time sane, tax code serves the account.
    private func checkCertificate(
        _ request: BindingRequest, _ profile: CertificateProfile, now: Date
    ) throws(BindingRefusal) -> BoundCertificate {
        guard let bound = BoundCertificate(profile: profile) else {
            throw BindingRefusal(.certificateHasNoTaxCode, "the certificate carries no valid tax code (UID=MST:…)")
        }
        let named = request.statement.certificate
        // The provider is not compared: it comes from Kyso's CA table, which may be newer than the statement.
        guard named.sha256 == bound.sha256, named.serialNumber == bound.serialNumber, named.issuer == bound.issuer,
            named.taxCode == bound.taxCode, named.notBefore == bound.notBefore, named.notAfter == bound.notAfter
        else {
            throw BindingRefusal(
                .statementDoesNotMatchCertificate,
                "the statement names certificate \(named.sha256) (serial \(named.serialNumber)), not the one given (\(bound.sha256))")
        }
        if let refusal = unknownCARefusal(profile) { throw refusal }
        switch CertificateStatus(validity: bound.validity, now: now) {
        case .expired:
            throw BindingRefusal(
                .certificateExpired, "the certificate expired on \(RFC3339Seconds.string(from: bound.notAfter))")
        case .notYetValid:
            throw BindingRefusal(
                .certificateNotYetValid, "the certificate is not valid before \(RFC3339Seconds.string(from: bound.notBefore))")
        case .valid, .expiringSoon:
            break
        }
        let issuedAt = request.statement.issuedAt
        if issuedAt > now.addingTimeInterval(clockSkew) {
            throw BindingRefusal(
                .statementTimeInvalid, "the statement is dated \(RFC3339Seconds.string(from: issuedAt)), in the future")
        }
        if issuedAt < bound.notBefore || issuedAt > bound.notAfter {
            throw BindingRefusal(.statementTimeInvalid, "the statement was issued outside the certificate's validity")
        }
        if let maximumStatementAge, now.timeIntervalSince(issuedAt) > maximumStatementAge {
            throw BindingRefusal(.statementTimeInvalid, "the statement is older than the configured limit; sign a new one")
        }
        let account = request.statement.account
        guard bound.taxCode.servesAccount(of: account.taxCode) else {
            throw BindingRefusal(
                .taxCodeMismatch,
                "the certificate's tax code \(bound.taxCode) is neither the account's tax code \(account.taxCode) nor one of its branches")
        }
        return bound
    }

    private static func declarant(boundTo sha256: String, in bindings: [AccountBinding]) -> AccountBinding? {
        bindings.first { $0.account.role == .declarant && $0.certificate.sha256 == sha256 }
    }

    private static func isUsable(_ status: CertificateStatus) -> Bool { status == .valid || status == .expiringSoon }
}

import Crypto
import Foundation
public import KysoAPI
public import KysoCore
public import KysoStore
public import Logging
public import ServiceLifecycle
import Synchronization

/// Customs accounts: registration statements signed on the token, bindings kept in SQLite, sealed secrets
/// and the audit log. Bindings are cached in memory so token listings never wait on the database.
public final class AccountService: Service, Sendable {
    let database: KysoDatabase
    let secrets: AccountSecrets
    let inventory: Inventory
    let signer: Signer
    let rules: BindingRules
    let logger: Logger
    let cache = BindingCache()
    private let reminders: Reminders
    /// Stored secrets by account: kind → sealing (`token` or `host`). Never a value.
    let secretIndex = Mutex<[String: [String: String]]>([:])
    /// Refusals beyond the per-uid threshold are counted, not recorded one by one (shared with the signature writer).
    let refusals: RefusalLimiter
    let pruningLog: AuditPruningLog
    /// Told whether each audit write worked, so signatures wait for their records after a failure here too.
    let signatureAudit: SignatureAuditWriter

    /// - Parameter rules: the statement age limit and unknown-CA policy come from `DaemonSettings.bindingRules`.
    public init(database: KysoDatabase, sealer: HostSealer, inventory: Inventory, signer: Signer, refusals: RefusalLimiter,
                signatureAudit: SignatureAuditWriter, rules: BindingRules = BindingRules(maximumStatementAge: BindingRules.defaultStatementMaxAge),
                logger: Logger) async throws {
        self.database = database
        self.rules = rules
        self.refusals = refusals
        self.signatureAudit = signatureAudit
        pruningLog = try await AuditPruningLog(database: database, logger: logger)
        reminders = try await Reminders(database: database)
        secrets = AccountSecrets(host: sealer, signer: signer)
        self.inventory = inventory
        self.signer = signer
        self.logger = logger
        let stored = try await database.bindings()
        cache.withLock { $0 = stored }
        let index = try await database.secretIndex()
        secretIndex.withLock { $0 = index.mapValues(Self.byName) }
        let bindings = cache
        inventory.setDecorator { token in
            let current = bindings.all
            var decorated = token
            decorated.certificates = token.certificates.map { certificate in
                var certificate = certificate
                certificate.accounts = BindingRules.accounts(usableWith: certificate.profile, in: current).map(\.summary)
                return certificate
            }
            return decorated
        }
    }

    /// A stored index entry keyed as the API names secret kinds.
    static func byName(_ sealings: [SecretKind: String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: sealings.map { ($0.key.rawValue, $0.value) })
    }

    // MARK: Bindings

    public var bindings: [AccountBinding] { cache.all }

    public func list() -> [BindingInfo] {
        let present = Set(inventory.tokens.flatMap { $0.certificates.map(\.sha256) })
        let index = secretIndex.withLock { $0 }
        return bindings.sorted { $0.key.text < $1.key.text }.map {
            $0.info(secrets: index[$0.key.text] ?? [:], certificatePresent: present.contains($0.certificate.sha256))
        }
    }

    public func info(account: String) -> BindingInfo? { list().first { $0.account == account.uppercased() || $0.account == account } }

    /// Binds after checking the statement, its signature by the certificate it names, the certificate's presence and
    /// validity, the tax code and the uniqueness rules. Nothing is stored unless every check passes.
    public func bind(_ order: BindingOrder, replacing account: String? = nil, caller: PeerCredentials) async -> Result<BindingInfo, OperationFailure> {
        // Refusals before the rules decide are recorded as the rules' refusals are (issue 13, bug 5).
        func refuse(_ failure: OperationFailure, certificate: String?) async -> Result<BindingInfo, OperationFailure> {
            await audit(account == nil ? .bind : .rebind, caller: caller, certificate: certificate, data: order.statement,
                        outcome: failure.auditOutcome, detail: failure.code.rawValue)
            return .failure(failure)
        }
        let bindingRequest: BindingRequest
        do throws(RegistrationStatementError) {
            bindingRequest = try BindingRequest(statementBytes: order.statement, signature: order.signature)
        } catch {
            return await refuse(AccountProblems.statement(error), certificate: nil)
        }
        let statement = bindingRequest.statement
        let sha256 = statement.certificate.sha256
        guard let certificate = inventory.certificate(sha256: sha256) else {
            return await refuse(AccountProblems.certificateNotPresent(sha256), certificate: sha256)
        }
        guard await RegistrationProof.verifies(statement: order.statement, signature: order.signature,
                                               certificateDER: Array(certificate.der)) else {
            await audit(account == nil ? .bind : .rebind, caller: caller, certificate: sha256, data: order.statement,
                        outcome: .refused, detail: "signature-invalid")
            return .failure(AccountProblems.signatureInvalid)
        }
        // Secrets are checked before anything is stored or the token is touched, so a bad one changes nothing.
        let mode = order.sealing
        var plain: AccountSecrets.Plain
        switch AccountSecrets.plain(order, userId: statement.account.userId) {
        case .failure(let failure): return await refuse(failure, certificate: sha256)
        case .success(let checked): plain = checked
        }
        defer { plain.wipe() }
        let now = Date()
        let existing = bindings
        let decided: Result<AccountBinding, BindingRefusal>
        if let account {
            guard let key = try? AccountKey(account) else {
                return await refuse(.badRequest("\(account.prefix(64)) is not a User ID or tax code"), certificate: sha256)
            }
            decided = rules.rebind(key, to: bindingRequest, certificate: certificate.profile, existing: existing, now: now)
        } else {
            decided = rules.bind(bindingRequest, certificate: certificate.profile, existing: existing, now: now)
        }
        let binding: AccountBinding
        switch decided {
        case .failure(let refusal):
            await audit(account == nil ? .bind : .rebind, caller: caller, certificate: sha256, data: order.statement,
                        outcome: .refused, detail: refusal.code.rawValue)
            return .failure(AccountProblems.refusal(refusal))
        case .success(let made): binding = made
        }
        let statementSha256 = Hex.lowercase(SHA256.hash(data: order.statement))
        let ledger: KysoDatabase.StatementState
        do throws(StoreError) { ledger = try await database.statementState(sha256: statementSha256) } catch {
            return .failure(AccountProblems.store(error))
        }
        if let failure = RegistrationProof.ledgerProblem(ledger) {
            await audit(account == nil ? .bind : .rebind, caller: caller, certificate: sha256, data: order.statement,
                        outcome: .refused, detail: failure.code.rawValue)
            return .failure(failure)
        }
        // Sealing to the token uses it (and its PIN) only once every rule has passed.
        let sealed: [SealedSecret]
        switch await secrets.seal(plain, userId: statement.account.userId, certificate: certificate, mode: mode, authorization: order.authorization,
                                  now: now) {
        case .failure(let failure):
            await audit(account == nil ? .bind : .rebind, caller: caller, certificate: sha256, data: order.statement,
                        outcome: .failed, detail: "\(binding.key.text): \(failure.code.rawValue)")
            return .failure(failure)
        case .success(let made): sealed = made
        }
        let entry = auditEntry(account == nil ? .bind : .rebind, caller: caller, certificate: sha256, data: order.statement,
                               outcome: .success, detail: binding.key.text)
        do throws(StoreError) {
            if account == nil {
                try await database.insertBinding(binding, secrets: sealed, audit: entry, consumingStatement: statementSha256)
            } else {
                _ = try await database.moveBinding(to: binding, secrets: sealed, audit: entry, consumingStatement: statementSha256)
            }
        } catch {
            return .failure(AccountProblems.store(error))
        }
        cache.withLock { bindings in
            bindings.removeAll { $0.key == binding.key }
            bindings.append(binding)
        }
        if let userId = binding.account.userId, let stored = try? await database.secretIndex(userId: userId)[userId.value] {
            secretIndex.withLock { $0[binding.key.text] = Self.byName(stored) }
        } else {
            secretIndex.withLock { _ = $0.removeValue(forKey: binding.key.text) }
        }
        let info = self.info(account: binding.key.text) ?? binding.info(secrets: [:], certificatePresent: true)
        inventory.publish(account == nil ? .bindingCreated : .bindingMoved, EventData(binding: info, account: binding.key.text))
        logger.info(account == nil ? "binding created" : "binding moved", metadata: ["account": "\(binding.key.text)", "certificate": "\(sha256)"])
        // A certificate bound with days left is reminded of now, not at the next token arrival.
        await announce()
        return .success(info)
    }

    public func unbind(account: String, caller: PeerCredentials) async -> Result<Void, OperationFailure> {
        guard let key = try? AccountKey(account) else {
            return .failure(.badRequest("\(account) is not a User ID or tax code"))
        }
        let entry = auditEntry(.unbind, caller: caller, certificate: nil, data: nil, outcome: .success, detail: key.text)
        do throws(StoreError) {
            guard try await database.deleteBinding(key, audit: entry) != nil else {
                return .failure(AccountProblems.store(StoreError(.notBound, "account \(key.text) is not bound")))
            }
        } catch {
            return .failure(AccountProblems.store(error))
        }
        cache.withLock { $0.removeAll { $0.key == key } }
        secretIndex.withLock { _ = $0.removeValue(forKey: key.text) }
        inventory.publish(.bindingRemoved, EventData(account: key.text))
        return .success(())
    }

    // MARK: Secrets (the audit is in AccountAudit.swift)

    /// Reveals a stored secret: host-sealed ones directly, token-sealed ones by opening them on the token with its PIN.
    /// - Parameter authorization: the PIN that opens a secret sealed to the token (none for a host-sealed one).
    public func reveal(account: String, kind: String, authorization: KeyAuthorization, caller: PeerCredentials) async -> Result<SecretResponse, OperationFailure> {
        guard let secretKind = SecretKind(rawValue: kind) else { return .failure(.badRequest("kind is terminalAccessKey or password")) }
        guard let userId = try? UserID(account) else { return .failure(.badRequest("secrets belong to declarant accounts (User ID)")) }
        let sealed: SealedSecret
        do throws(StoreError) {
            guard let stored = try await database.secret(userId: userId, kind: secretKind) else {
                return .failure(AccountProblems.secretNotStored(secretKind))
            }
            sealed = stored
        } catch {
            return .failure(AccountProblems.store(error))
        }
        let detail = "\(userId.value) \(kind) (\(sealed.sealing.name))"
        switch await secrets.open(sealed, authorization: authorization) {
        case .failure(let failure):
            await audit(.secretReveal, caller: caller, certificate: sealed.sealing.certificateSha256, outcome: .failed,
                        detail: "\(detail): \(failure.code.rawValue)")
            return .failure(failure)
        case .success(let secret):
            // No record, no secret: a reveal nobody can trace must not happen.
            guard await audit(.secretReveal, caller: caller, certificate: sealed.sealing.certificateSha256, outcome: .success, detail: detail) else {
                return .failure(AuditJournal.unavailable)
            }
            return .success(SecretResponse(account: userId.value, kind: secretKind, value: secret))
        }
    }

    // MARK: Service

    /// Watches token arrivals for bound certificates that were renewed or expire soon, and tells clients.
    public func run() async throws {
        guard let subscription = try? inventory.subscribe(lastEventID: inventory.lastEventID, isInternal: true) else { return }
        defer { inventory.unsubscribe(subscription.id) }
        // Certificates end with no token arriving: look once a day too.
        let daily = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(86_400))
                await self?.announce()
            }
        }
        defer { daily.cancel() }
        await announce()
        for await event in subscription.events.cancelOnGracefulShutdown() where event.type == .tokenInserted || event.type == .snapshot {
            await announce()
        }
    }

    func announce() async {
        let now = Date()
        for reminder in CertificateExpiry.due(tokens: inventory.tokens, now: now) {
            guard await reminders.firstTime(reminder.key) else { continue }
            inventory.publish(reminder.type, reminder.data)
            logger.warning(reminder.type == .certificateExpired ? "certificate expired" : "certificate expires soon",
                           metadata: ["certificate": "\(reminder.data.certificate ?? "")", "token": "\(reminder.data.tokenId ?? "")",
                                      "daysLeft": "\(reminder.data.daysLeft ?? 0)"])
        }
        let profiles = inventory.tokens.flatMap { $0.certificates.map(\.profile) }
        for candidate in rules.renewalCandidates(bindings: bindings, present: profiles, now: now) {
            guard await reminders.firstTime("renewal \(candidate.binding.key.text) \(candidate.certificate.fingerprints.sha256)") else { continue }
            inventory.publish(.bindingRenewalNeeded, EventData(account: candidate.binding.key.text, certificate: candidate.certificate.fingerprints.sha256))
        }
        for binding in rules.expiringSoon(bindings: bindings, now: now) {
            let threshold = Reminders.expiryThreshold(notAfter: binding.certificate.notAfter, now: now)
            guard await reminders.firstTime("expiring \(binding.key.text) \(binding.certificate.sha256) \(threshold)") else { continue }
            inventory.publish(.bindingExpiring, EventData(account: binding.key.text, certificate: binding.certificate.sha256))
        }
    }
}

/// The bindings in memory, shared with the inventory's token decorator.
final class BindingCache: Sendable {
    private let bindings = Mutex<[AccountBinding]>([])
    var all: [AccountBinding] { bindings.withLock { $0 } }
    func withLock<R>(_ body: (inout [AccountBinding]) -> R) -> R { bindings.withLock { body(&$0) } }
}

import Foundation
import KysoAPI
import KysoCore
public import Logging

/// Signs with the key behind a certificate, whatever holds it: plans the request (everything that can be refused
/// without the key is refused first), lets the key's backend sign, and checks each signature against the
/// certificate before it leaves.
public final class Signer: Sendable {
    let inventory: Inventory
    let backends: [any KeyBackend]
    let logger: Logger
    private let certificates = SigningCertificates()

    public init(inventory: Inventory, backends: [any KeyBackend], logger: Logger) {
        self.inventory = inventory
        self.backends = backends
        self.logger = logger
    }

    /// The backend holding the keys of token `tokenId`.
    func backend(for tokenId: String) -> (any KeyBackend)? { backends.first { $0.holds(tokenId: tokenId) } }

    /// Forgets cached logins (`kyso logout`, SIGHUP, token removal) in every backend.
    public func dropLogins(tokenId: String? = nil) {
        for backend in backends { backend.forgetAuthorizations(tokenId: tokenId) }
    }

    /// - Parameter purpose: `.registration` only for `AccountService.register`, which signs the registration context.
    public func sign(_ order: SignatureOrder, purpose: SigningPlan.Purpose = .plain) async -> Result<Signature, OperationFailure> {
        let plan: SigningPlan
        switch SigningPlan.make(order, inventory: inventory, certificates: certificates, purpose: purpose) {
        case .failure(let failure): return .failure(failure)
        case .success(let made): plan = made
        }
        guard let backend = backend(for: order.tokenId) else { return .failure(SigningProblems.tokenNotFound(order.tokenId)) }
        let key = KeyReference(tokenId: order.tokenId, certificateSHA256: plan.certificateSHA256)
        let used = await backend.withKey(key, authorization: order.authorization) { operations in try plan.sign(with: operations) }
        switch used {
        case .failure(let failure): return .failure(failure)
        case .success(let signed):
            // Catch a key that does not belong to its certificate before anyone relies on the signature.
            if let reason = plan.verificationProblem(signed.value) {
                logger.error("signature does not verify with the certificate",
                             metadata: ["token": "\(order.tokenId)", "certificate": "\(plan.certificateSHA256)", "reason": "\(reason)"])
                return .failure(SigningProblems.keyMismatch(
                    "the signature made on token \(order.tokenId) does not verify with certificate \(plan.certificateSHA256): \(reason)"))
            }
            var metadata: Logger.Metadata = ["token": "\(order.tokenId)", "certificate": "\(plan.certificateSHA256)",
                                             "mechanism": "\(plan.mechanism.rawValue)", "output": "\(plan.output.rawValue)"]
            if let origin = order.origin { metadata["origin"] = "\(origin)" }  // checked at the HTTP edge
            logger.info("signed", metadata: metadata)
            return .success(Signature(tokenId: order.tokenId, certificateSHA256: plan.certificateSHA256, mechanism: plan.mechanism,
                                      output: plan.output, bytes: signed.value, pin: signed.pin, warning: signed.warning,
                                      cachedLogin: signed.cachedLogin))
        }
    }

    /// Runs `body` with the private key of certificate `sha256`, on whichever present token holds it (opening sealed
    /// secrets): the same backend rules (queue, deadline, PIN safety, login cache) as a signature.
    func withPrivateKey<T: Sendable>(certificate sha256: String, authorization: KeyAuthorization,
                                     _ body: @escaping @Sendable (any KeyOperations) throws -> T) async -> Result<KeyUse<T>, OperationFailure> {
        guard let certificate = inventory.certificate(sha256: sha256) else {
            return .failure(AccountProblems.certificateNotPresent(sha256))
        }
        guard let holder = certificate.locations.first(where: \.privateKeyOnToken) else {
            return .failure(SigningProblems.noPrivateKey(sha256))
        }
        guard let backend = backend(for: holder.tokenId) else { return .failure(SigningProblems.tokenNotFound(holder.tokenId)) }
        return await backend.withKey(KeyReference(tokenId: holder.tokenId, certificateSHA256: sha256), authorization: authorization, body)
    }
}

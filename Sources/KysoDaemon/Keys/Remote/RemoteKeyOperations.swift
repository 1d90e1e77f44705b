import Dispatch
import Foundation
import KysoAPI
import KysoCore
import KysoRemote
import KysoStore
import Synchronization

/// `sign` on a remote credential: authorise the digest with the caller's PIN and OTP, then have it signed. Runs on
/// the backend's queue and waits there for the async client.
struct RemoteKeyOperations: KeyOperations {
    let client: CSCClient
    let token: RemoteKeyBackend.Token
    let pin: SecretBytes?
    let otp: SecretBytes?
    let approvalTimeout: Duration
    let holderApproves: Bool
    let waits: RemoteWaits
    let awaitingApproval: @Sendable (Date) -> Void

    func sign(_ mechanism: SignatureMechanism, message: [UInt8]?, digest: [UInt8]) throws -> [UInt8] {
        let algorithm: CSCSignatureAlgorithm
        switch (mechanism, token.credential.signatureAlgorithm) {
        case (.rsaPKCS1SHA256, .rsa): algorithm = .rsa
        case (.ecdsaSHA256, .ecdsa): algorithm = .ecdsa
        case (.rsaPSSSHA256, .rsa): throw KeyOperationError.parametersRefused("the signing service is asked for PKCS#1 v1.5 only; RSA-PSS is not sent")
        default: throw KeyOperationError.notPermitted("\(mechanism.rawValue) does not fit this credential's key")
        }
        let (client, credentialID, timeout, announce) = (client, token.credential.credentialID, approvalTimeout, awaitingApproval)
        // A v1 service holds signHash open until the holder decides: say so before sending it. A v2 service says it
        // itself, with a responseID to poll.
        let announceBeforeSending = holderApproves && !client.configuration.version.supportsAsynchronousSignatures
        let secret = pin.map { CSCSecret(bytes: $0.bytes) }
        let oneTime = otp.map { CSCSecret(bytes: $0.bytes) }
        return try wait {
            let activation = try await client.authorize(
                credentialID: credentialID, hashes: [digest], hashAlgorithm: .sha256, pin: secret, otp: oneTime)
            if announceBeforeSending { announce(Date() + TimeInterval(timeout.components.seconds)) }
            let signatures = try await client.sign(
                activation: activation, hashes: [digest], hashAlgorithm: .sha256, signatureAlgorithm: algorithm,
                approvalTimeout: timeout, awaitingApproval: { _ in announce(Date() + TimeInterval(timeout.components.seconds)) })
            guard let signature = signatures.first else { throw CSCError.malformedResponse(method: "signatures/signHash", reason: "no signature") }
            return signature
        }
    }

    func decryptOAEP(_ hash: OAEPHash, ciphertext: [UInt8]) throws -> [UInt8] {
        throw KeyOperationError.notPermitted("a remote signing credential signs only; it does not decrypt")
    }

    /// Runs `work` on the cooperative pool and blocks this (backend queue) thread until it ends. The task is known
    /// to `waits`, so a stopping kysod cancels it rather than waiting out an approval.
    private func wait<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let box = Mutex<Result<T, any Error>?>(nil)
        let task = Task {
            let result: Result<T, any Error>
            do { result = .success(try await work()) } catch { result = .failure(Task.isCancelled ? CSCError.cancelled as any Error : error) }
            box.withLock { $0 = result }
            semaphore.signal()
        }
        let id = waits.add(task)
        semaphore.wait()
        waits.remove(id)
        return try box.withLock { $0! }.get()
    }
}

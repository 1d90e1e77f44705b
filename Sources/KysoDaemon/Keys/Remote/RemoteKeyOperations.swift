import Dispatch
import KysoAPI
import KysoCore
import KysoRemote
import KysoStore
import Synchronization

/// `sign` on a remote credential: authorise the digest with the caller's PIN, then have it signed. Runs on the
/// backend's queue and waits there for the async client.
struct RemoteKeyOperations: KeyOperations {
    let client: CSCClient
    let token: RemoteKeyBackend.Token
    let pin: SecretBytes?
    let approvalTimeout: Duration
    let awaitingApproval: @Sendable () -> Void

    func sign(_ mechanism: SignatureMechanism, message: [UInt8]?, digest: [UInt8]) throws -> [UInt8] {
        let algorithm: CSCSignatureAlgorithm
        switch (mechanism, token.credential.signatureAlgorithm) {
        case (.rsaPKCS1SHA256, .rsa): algorithm = .rsa
        case (.ecdsaSHA256, .ecdsa): algorithm = .ecdsa
        case (.rsaPSSSHA256, .rsa): throw KeyOperationError.parametersRefused("the signing service is asked for PKCS#1 v1.5 only; RSA-PSS is not sent")
        default: throw KeyOperationError.notPermitted("\(mechanism.rawValue) does not fit this credential's key")
        }
        let (client, credentialID, timeout, announce) = (client, token.credential.credentialID, approvalTimeout, awaitingApproval)
        let secret = pin.map { CSCSecret(bytes: $0.bytes) }
        return try Self.wait {
            let activation = try await client.authorize(
                credentialID: credentialID, hashes: [digest], hashAlgorithm: .sha256, pin: secret)
            let signatures = try await client.sign(
                activation: activation, hashes: [digest], hashAlgorithm: .sha256, signatureAlgorithm: algorithm,
                approvalTimeout: timeout, awaitingApproval: { _ in announce() })
            guard let signature = signatures.first else { throw CSCError.malformedResponse(method: "signatures/signHash", reason: "no signature") }
            return signature
        }
    }

    func decryptOAEP(_ hash: OAEPHash, ciphertext: [UInt8]) throws -> [UInt8] {
        throw KeyOperationError.notPermitted("a remote signing credential signs only; it does not decrypt")
    }

    /// Runs `work` on the cooperative pool and blocks this (backend queue) thread until it ends.
    private static func wait<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let box = Mutex<Result<T, any Error>?>(nil)
        Task {
            let result: Result<T, any Error>
            do { result = .success(try await work()) } catch { result = .failure(error) }
            box.withLock { $0 = result }
            semaphore.signal()
        }
        semaphore.wait()
        return try box.withLock { $0! }.get()
    }
}

import Crypto
import Foundation
public import KysoAPI
import KysoCore
import KysoStore

extension AccountService {
    /// Builds the statement, signs the registration context and the statement on the token, and notes the
    /// statement as issued (RegistrationProof): the only way to a proof that `bind` accepts.
    public func register(_ order: RegistrationOrder, caller: PeerCredentials) async -> Result<RegistrationResponse, OperationFailure> {
        // Every refusal before the token signs is recorded like a refused signature (issue 13, bug 5).
        let named = Self.fingerprintOrNil(order.certificate)
        func refuse(_ failure: OperationFailure) async -> Result<RegistrationResponse, OperationFailure> {
            let account = order.userId ?? order.taxCode
            await audit(.register, caller: caller, certificate: named, outcome: failure.auditOutcome,
                        detail: "\(account.prefix(64)): \(failure.code.rawValue)")
            return .failure(failure)
        }
        let fields: AccountFields
        do throws(AccountFieldError) {
            fields = try AccountFields(role: order.role, taxCode: order.taxCode, userId: order.userId, terminalId: order.terminalId)
        } catch {
            return await refuse(AccountProblems.field(error))
        }
        let sha256 = order.certificate
        guard let certificate = inventory.certificate(sha256: sha256) else {
            return await refuse(AccountProblems.certificateNotPresent(sha256))
        }
        guard let location = certificate.locations.first(where: \.privateKeyOnToken) else {
            // Present, but only as a copy: the token that holds its key is elsewhere.
            return await refuse(SigningProblems.noPrivateKey(sha256))
        }
        let profile = certificate.profile
        guard profile.status == .valid || profile.status == .expiringSoon else {
            return await refuse(AccountProblems.certificateNotValid(profile.status))
        }
        guard let taxCode = profile.taxCode, taxCode.servesAccount(of: fields.taxCode) else {
            return await refuse(AccountProblems.taxCodeMismatch(profile.taxCode?.value, fields.taxCode.value))
        }
        // Refused before the PIN is used: a statement that could never be bound is not worth a signature.
        if let refusal = rules.unknownCARefusal(profile) { return await refuse(AccountProblems.refusal(refusal)) }
        let statement: RegistrationStatement
        do throws(RegistrationStatementError) {
            let freshness: RegistrationStatement.Freshness = order.challenge.map { .challenge($0) } ?? .freshNonce()
            statement = try RegistrationStatement(account: fields, certificate: profile, freshness: freshness, issuedAt: Date())
        } catch {
            return await refuse(AccountProblems.statement(error))
        }
        let bytes = statement.canonicalBytes
        let mechanism = profile.publicKey.type == .ec ? SignatureMechanism.ecdsaSHA256 : .rsaPKCS1SHA256
        let signing = SignatureOrder(
            tokenId: location.tokenId, certificate: sha256, content: .data(RegistrationSigning.signedContent(statement: bytes)),
            mechanism: mechanism, output: .cms,
            authorization: order.authorization)
        let signed = await signer.sign(signing, purpose: .registration)
        let recorded = await audit(.register, caller: caller, tokenId: location.tokenId, certificate: sha256, mechanism: mechanism.rawValue,
                                   data: bytes, outcome: signed.isSuccess ? .success : .failed,
                                   detail: signed.failureCode.map { "\(fields.key.text): \($0.rawValue)" } ?? fields.key.text)
        switch signed {
        case .failure(let failure): return .failure(failure)
        case .success where !recorded: return .failure(AuditJournal.unavailable)
        case .success(let response):
            do throws(StoreError) {
                try await database.recordIssuedStatement(sha256: Hex.lowercase(SHA256.hash(data: bytes)), issuedAt: statement.issuedAt)
            } catch {
                return .failure(AccountProblems.store(error))
            }
            return .success(RegistrationResponse(
                statement: Data(bytes), statementText: String(decoding: bytes, as: UTF8.self), signature: Data(response.bytes),
                certificate: certificate.der, certificateSha256: sha256, tokenId: location.tokenId,
                warnings: RegistrationProof.warnings(provider: profile.provider.provider.rawValue)))
        }
    }

    /// `text` when it is a SHA-256 fingerprint (64 lowercase hex digits), so the audit never keeps a caller's
    /// arbitrary text as a certificate.
    static func fingerprintOrNil(_ text: String) -> String? {
        text.count == 64 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase } ? text : nil
    }
}

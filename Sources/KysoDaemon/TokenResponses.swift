import Crypto
import Foundation
import KysoAPI
import KysoCore
import TokenScan

/// Builds the API's view of a scanned token.
enum TokenResponses {
    /// Whether a rescan found something a client should hear about (not just a fresh evaluation time).
    static func materiallyDiffer(_ a: TokenInfoResponse, _ b: TokenInfoResponse) -> Bool {
        a.flags != b.flags || a.label != b.label || a.slot != b.slot || a.uri != b.uri
            || a.certificates.map { [$0.sha256, $0.objectId, $0.label, $0.keyEvidence] }
                != b.certificates.map { [$0.sha256, $0.objectId, $0.label, $0.keyEvidence] }
    }

    static func make(id: String, token: ScannedToken, insertedAt: Date, now: Date, expiringSoonDays: Int) -> TokenInfoResponse {
        let certificates = token.certificates.compactMap { certificate -> TokenCertificate? in
            // A certificate object that does not parse is left out here; `kyso doctor` explains it.
            guard let profile = try? CertificateProfile(derEncoded: certificate.der, now: now, expiringSoonDays: expiringSoonDays) else {
                return nil
            }
            return TokenCertificate(
                sha256: Hex.lowercase(SHA256.hash(data: certificate.der)),
                label: certificate.label, objectId: Hex.lowercase(certificate.objectID),
                uri: certificate.uri, privateKeyOnToken: certificate.hasPrivateKey, keyEvidence: certificate.keyEvidence.rawValue,
                privateKeyUri: certificate.privateKeyURI, der: Data(certificate.der), profile: profile)
        }
        return TokenInfoResponse(
            id: id, uri: token.uri, module: token.moduleName, slot: token.slot, label: token.info.label,
            manufacturer: token.info.manufacturerID, model: token.info.model, serialNumber: token.info.serialNumber,
            flags: token.info.flags.names, pin: token.pinStatus, pinWords: token.pinStatus.words, insertedAt: insertedAt,
            certificates: certificates)
    }
}

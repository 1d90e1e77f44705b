import Foundation
import SwiftASN1

/// Finds the certificates in the bytes of a file: PEM (one or many blocks, text around them ignored), a single DER
/// certificate, or a PKCS#7 certificate bundle (`.p7b`, DER or PEM). Pure: the caller reads the file.
public enum CertificateFileContents {
    /// Larger inputs are refused before parsing; real certificate files are a few kilobytes.
    public static let maximumSize = 4 << 20

    /// DER bytes of every certificate found, in file order.
    /// - Throws: `CertificateReadError` with a reason fit to show the user.
    public static func certificates(in bytes: [UInt8]) throws(CertificateReadError) -> [[UInt8]] {
        guard !bytes.isEmpty else { throw CertificateReadError(.empty, "the file is empty") }
        guard bytes.count <= maximumSize else {
            throw CertificateReadError(.tooLarge, "\(bytes.count) bytes is too large for a certificate file")
        }
        if bytes.starts(with: [0x30]) {
            return try derCertificates(bytes)
        }
        return try pemCertificates(bytes)
    }

    private static func derCertificates(_ bytes: [UInt8]) throws(CertificateReadError) -> [[UInt8]] {
        if PKCS7Bundle.looksLikeBundle(bytes) {
            return try PKCS7Bundle.certificates(in: bytes)
        }
        do {
            _ = try CertificateFields(derEncoded: bytes)
        } catch let error as CertificateReadError {
            throw error
        } catch {
            throw CertificateReadError(.malformedDER, "not a DER certificate: \(error)")
        }
        return [bytes]
    }

    private static func pemCertificates(_ bytes: [UInt8]) throws(CertificateReadError) -> [[UInt8]] {
        guard let text = String(validating: bytes, as: UTF8.self), text.contains("-----BEGIN ") else {
            throw CertificateReadError(.noCertificate, "neither DER nor PEM (no \"-----BEGIN\" line)")
        }
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            // swift-asn1's message quotes the input at length; say what is wrong in words instead.
            let begins = text.components(separatedBy: "-----BEGIN ").count
            let ends = text.components(separatedBy: "-----END ").count
            throw CertificateReadError(
                .malformedPEM,
                begins > ends
                    ? "PEM is truncated: a \"-----BEGIN\" line has no matching \"-----END\" line"
                    : "PEM is damaged: a block is not valid base64 or its BEGIN and END lines differ")
        }
        var found: [[UInt8]] = []
        for (number, document) in documents.enumerated() {
            switch document.discriminator {
            case "CERTIFICATE", "X509 CERTIFICATE":
                do {
                    _ = try CertificateFields(derEncoded: document.derBytes)
                } catch {
                    throw CertificateReadError(
                        .malformedDER, "PEM block \(number + 1) is not a valid certificate: \(error)")
                }
                found.append(document.derBytes)
            case "PKCS7", "CMS":
                found += try PKCS7Bundle.certificates(in: document.derBytes)
            default:
                continue  // keys, CSRs and CRLs sit in the same files; they are not ours to show.
            }
        }
        guard !found.isEmpty else {
            let kinds = documents.map(\.discriminator).joined(separator: ", ")
            throw CertificateReadError(
                .noCertificate, kinds.isEmpty ? "no PEM block found" : "no certificate among the PEM blocks (\(kinds))")
        }
        return found
    }
}

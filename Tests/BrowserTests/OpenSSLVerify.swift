import Foundation
import KysoTestSupport

/// Checks signatures with the openssl command, as a web site's server would, independent of Kyso's code.
enum OpenSSLVerify {
    /// A raw RSA PKCS#1 v1.5 or ECDSA signature over SHA-256 of `data`, with the certificate's public key.
    static func raw(signature: Data, data: Data, certificateDER: Data) throws -> Bool {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        try certificateDER.write(to: folder.appendingPathComponent("cert.der"))
        try signature.write(to: folder.appendingPathComponent("sig"))
        try data.write(to: folder.appendingPathComponent("data"))
        let publicKey = try Shell.run("openssl", ["x509", "-inform", "DER", "-in", folder.appendingPathComponent("cert.der").path, "-pubkey", "-noout"])
        try publicKey.write(to: folder.appendingPathComponent("pub.pem"))
        let output = try? Shell.run("openssl", ["dgst", "-sha256", "-verify", folder.appendingPathComponent("pub.pem").path,
                                               "-signature", folder.appendingPathComponent("sig").path, folder.appendingPathComponent("data").path])
        return output.map { String(decoding: $0, as: UTF8.self).contains("Verified OK") } ?? false
    }

    /// A detached CMS over `content`: the signature and the embedded signer (the chain is the daemon tests' job).
    static func cms(_ cms: Data, content: Data) throws -> Bool {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        try cms.write(to: folder.appendingPathComponent("sig.p7s"))
        try content.write(to: folder.appendingPathComponent("content"))
        return (try? Shell.run("openssl", ["cms", "-verify", "-binary", "-noverify", "-inform", "DER",
                                           "-in", folder.appendingPathComponent("sig.p7s").path,
                                           "-content", folder.appendingPathComponent("content").path, "-out", "/dev/null"])) != nil
    }

    private static func scratch() throws -> URL {
        let folder = Lab.scratchRoot.appendingPathComponent("openssl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}

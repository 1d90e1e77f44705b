import _CryptoExtras
import Crypto
import Foundation
import KysoAPI
import KysoCore
import TokenScan

/// The keys of one backup file, from the administrator's passphrase.
///
/// scrypt (RFC 7914, swift-crypto's `KDF.Scrypt`) stretches the passphrase: a password KDF, memory-hard, so guessing
/// passphrases of a stolen backup costs 128·N·r = 32 MiB of memory per guess (PBKDF2 in the same package is cheap
/// to run on GPUs; HKDF is no password KDF at all). HKDF-SHA256 then splits its output into two AES-256-GCM
/// keys: one for the contents, one for the host-sealed secrets inside them (each bound to its account and kind).
struct BackupKeys: Sendable {
    let contents: SymmetricKey
    let secrets: SymmetricKey

    /// N = 2^15, r = 8, p = 1 (32 MiB); the file records them. Measured: `POST /v1/backup` on an empty store took
    /// 0.48–0.79 s (five runs, debug build, 2 cores at load 11), a refused one 2–12 ms: the derivation is the cost.
    static func newParameters() -> BackupKDF {
        BackupKDF(salt: Data(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }), rounds: 1 << 15, blockSize: 8, parallelism: 1)
    }

    /// Derives the keys on a thread of its own (scrypt is a long stretch of CPU: not for the cooperative pool).
    /// - Throws: `backupUnreadable` for parameters this kysod does not accept (another KDF, a weak or huge cost).
    static func derive(passphrase: SecretBytes, kdf: BackupKDF) async throws(OperationFailure) -> BackupKeys {
        guard kdf.name == "scrypt", (16...64).contains(kdf.salt.count), kdf.rounds.nonzeroBitCount == 1,
              (1 << 14...1 << 20).contains(kdf.rounds), (1...16).contains(kdf.blockSize), (1...4).contains(kdf.parallelism),
              128 * kdf.rounds * kdf.blockSize <= 256 << 20
        else {
            throw BackupProblems.kdfRefused(kdf)
        }
        let bytes = passphrase.bytes
        let master: SymmetricKey? = await onDedicatedThread(name: "kyso-backup-kdf") {
            try? KDF.Scrypt.deriveKey(from: bytes, salt: kdf.salt, outputByteCount: 32, rounds: kdf.rounds,
                                      blockSize: kdf.blockSize, parallelism: kdf.parallelism)
        }
        guard let master else { throw BackupProblems.scryptFailed }
        func key(_ info: String) -> SymmetricKey {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Array("kyso-backup-v1 \(info)".utf8), outputByteCount: 32)
        }
        return BackupKeys(contents: key("contents"), secrets: key("secrets"))
    }

    /// The header fields as the contents' associated data: a changed version, date or KDF parameter fails to open.
    static func header(_ file: BackupFile) -> [UInt8] {
        let fields = [file.format, String(file.version), RFC3339Seconds.string(from: file.createdAt), file.kdf.name,
                      file.kdf.salt.base64EncodedString(), String(file.kdf.rounds), String(file.kdf.blockSize), String(file.kdf.parallelism)]
        return Array(fields.joined(separator: "\u{0}").utf8)
    }

    func sealContents(_ plaintext: [UInt8], header: [UInt8]) throws(OperationFailure) -> Data {
        do {
            guard let combined = try AES.GCM.seal(plaintext, using: contents, authenticating: header).combined else {
                throw BackupProblems.noCombinedForm
            }
            return combined
        } catch let failure as OperationFailure {
            throw failure
        } catch {
            throw BackupProblems.notEncrypted
        }
    }

    func openContents(_ sealed: Data, header: [UInt8]) throws(OperationFailure) -> [UInt8] {
        do {
            return Array(try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: contents, authenticating: header))
        } catch {
            throw BackupProblems.wrongPassphrase
        }
    }

    func sealSecret(_ plaintext: [UInt8], context: [UInt8]) throws(OperationFailure) -> Data {
        guard let combined = try? AES.GCM.seal(plaintext, using: secrets, authenticating: context).combined else {
            throw BackupProblems.secretNotSealed
        }
        return combined
    }

    func openSecret(_ sealed: Data, context: [UInt8]) throws(OperationFailure) -> [UInt8] {
        guard let box = try? AES.GCM.SealedBox(combined: sealed), let opened = try? AES.GCM.open(box, using: secrets, authenticating: context) else {
            throw BackupProblems.backupSecretDoesNotOpen
        }
        return Array(opened)
    }
}

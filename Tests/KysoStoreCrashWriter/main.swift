// Writes declarant bindings (each with a secret and an audit record, in one transaction) into a state directory as
// fast as it can until it is killed. KysoStoreTests sends it SIGKILL mid-way and then checks that every binding
// row that survived is whole. Usage: kyso-store-crash-writer STATE_DIRECTORY FIRST_INDEX
import Crypto
import Foundation
import KysoCore
import KysoStore

let arguments = CommandLine.arguments
guard arguments.count == 3, let first = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: kyso-store-crash-writer STATE_DIRECTORY FIRST_INDEX\n".utf8))
    exit(2)
}
let database = try KysoDatabase(stateDirectory: URL(fileURLWithPath: arguments[1]))
let taxCode = try TaxCode("0104359717")
let digits = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")

for index in first..<(36 * 36 * 36) {
    let suffix = String([digits[index / 1296], digits[index / 36 % 36], digits[index % 36]])
    let userId = try UserID("CRASH" + suffix)
    // Large blobs make it likely that the kill lands inside a write.
    let statement = Array(String(repeating: "statement \(userId) ", count: 200).utf8)
    let signature = expand(statement, count: 64 * 1024)
    let binding = AccountBinding(
        account: .declarant(taxCode: taxCode, userId: userId, terminalId: try TerminalID("T" + suffix + "00")),
        certificate: BoundCertificate(
            sha256: SHA256.hash(data: Array("certificate \(userId)".utf8)).map { String(format: "%02x", $0) }.joined(),
            serialNumber: "0A" + suffix, issuer: "CN=VNPT Certification Authority TEST", provider: "vnpt",
            taxCode: taxCode, notBefore: Date(timeIntervalSince1970: 1_704_067_200),
            notAfter: Date(timeIntervalSince1970: 1_798_761_600),
            holder: CertificateHolder(commonName: "CÔNG TY \(userId)", identifiers: ["MST:0104359717"])),
        statement: statement, signature: signature, createdAt: Date())
    let secret = SealedSecret(
        userId: userId, kind: .terminalAccessKey, sealing: .host, ciphertext: expand(Array(suffix.utf8), count: 48),
        createdAt: Date())
    try await database.insertBinding(
        binding, secrets: [secret],
        audit: AuditEntry(time: Date(), action: .bind, outcome: .success, detail: userId.value))
}

/// Deterministic bytes from a seed: SHA-256 of seed and counter, block after block. The test recomputes them.
func expand(_ seed: [UInt8], count: Int) -> [UInt8] {
    var out: [UInt8] = []
    var counter: UInt32 = 0
    while out.count < count {
        out += SHA256.hash(data: seed + withUnsafeBytes(of: counter.bigEndian) { Array($0) })
        counter += 1
    }
    return Array(out.prefix(count))
}

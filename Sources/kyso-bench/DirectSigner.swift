import Foundation
import KysoTestSupport
import PKCS11

/// The baseline: `C_Sign` in this process through the PKCS11 wrapper on the same SoftHSM key kysod signs with.
/// The module is loaded once with the lab's SOFTHSM2_CONF (set in this process before loading).
final class DirectSigner: @unchecked Sendable {
    let module: PKCS11Module

    init(softhsmConf: String) throws {
        setenv("SOFTHSM2_CONF", softhsmConf, 1)
        module = try PKCS11Module.load(path: BenchEnvironment.softHSM)
    }

    struct Key {
        let slot: SlotID
        let objectID: [UInt8]
        let mechanism: SigningMechanism
        /// What goes to C_Sign: a DigestInfo for RSA PKCS #1, the bare digest for ECDSA (as kysod sends them).
        let input: [UInt8]
    }

    func key(serial: String, objectIDHex: String, ec: Bool, digest: [UInt8]) throws -> Key {
        for slot in try module.slots() where try module.tokenInfo(slot).serialNumber == serial {
            let id = stride(from: 0, to: objectIDHex.count, by: 2).map {
                let start = objectIDHex.index(objectIDHex.startIndex, offsetBy: $0)
                return UInt8(objectIDHex[start..<objectIDHex.index(start, offsetBy: 2)], radix: 16)!
            }
            // DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1).
            let prefix: [UInt8] = [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]
            return Key(slot: slot, objectID: id, mechanism: ec ? .ecdsa : .rsaPKCS, input: ec ? digest : prefix + digest)
        }
        throw TestFailure("no token with serial \(serial) in the direct module")
    }

    /// Signs in a loop on each key in parallel (one thread per key) for `seconds` after `warmUp`.
    /// `loginEachTime`: open, log in, sign, log out, close per signature (what kysod does without its login cache);
    /// otherwise log in once and sign N times.
    func run(_ keys: [Key], pin: String, loginEachTime: Bool, warmUp: Double, seconds: Double) throws -> HTTPLoad.Outcome {
        let results = UnsafeSendableBox<[Result<[Double], any Error>]>(Array(repeating: .success([]), count: keys.count))
        let start = Clock.nanoseconds()
        let from = start + UInt64(warmUp * 1e9)
        let until = from + UInt64(seconds * 1e9)
        let group = DispatchGroup()
        for (index, key) in keys.enumerated() {
            group.enter()
            let thread = Thread { [module] in
                defer { group.leave() }
                do {
                    var latencies: [Double] = []
                    var session: Session?
                    var handle: ObjectHandle?
                    while true {
                        let began = Clock.nanoseconds()
                        if session == nil {
                            let opened = try module.openSession(slot: key.slot)
                            try opened.login(pin: Array(pin.utf8))
                            guard let found = try opened.findObjects(class: .privateKey, id: key.objectID).first else {
                                throw TestFailure("no private key \(key.objectID) on slot \(key.slot)")
                            }
                            session = opened
                            handle = found
                        }
                        _ = try session!.sign(mechanism: key.mechanism, key: handle!, data: key.input)
                        if loginEachTime {
                            try session!.logout()
                            session!.close()
                            session = nil
                        }
                        let ended = Clock.nanoseconds()
                        if began >= from && ended <= until { latencies.append(Double(ended - began) / 1e9) }
                        if ended >= until { break }
                    }
                    if let session { try? session.logout(); session.close() }
                    results.withValue { $0[index] = .success(latencies) }
                } catch {
                    results.withValue { $0[index] = .failure(error) }
                }
            }
            thread.start()
        }
        group.wait()
        var all: [Double] = []
        for result in results.value { all += try result.get() }
        return HTTPLoad.Outcome(latencies: all, completed: all.count, failures: 0, windowSeconds: seconds)
    }
}

/// A value shared by the threads of one measurement, under a lock.
final class UnsafeSendableBox<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()
    init(_ value: Value) { stored = value }
    func withValue<R>(_ body: (inout Value) throws -> R) rethrows -> R { try lock.withLock { try body(&stored) } }
    var value: Value { lock.withLock { stored } }
}

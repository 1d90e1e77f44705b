import Foundation
import KysoCore
import Testing

/// Bounded, seeded mutation fuzzing of the certificate reader and profile: every input must end in a profile or a
/// `CertificateReadError`, never a crash or a hang. The seed is fixed so a failure reproduces; the input count is
/// printed for the CI log.
@Suite struct ParserFuzzTests {
    static let iterations = 20_000

    /// xorshift64*: deterministic and good enough to pick mutations.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
    }

    static func mutate(_ input: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            guard !bytes.isEmpty else { return [UInt8.random(in: 0...255, using: &random)] }
            let index = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
            case 1: bytes[index] ^= 1 << UInt8.random(in: 0...7, using: &random)
            case 2: bytes.removeSubrange(index..<min(bytes.count, index + Int.random(in: 1...64, using: &random)))
            case 3: bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }, at: index)
            case 4: bytes = Array(bytes.prefix(index))
            default: bytes[index] = [0x00, 0x30, 0x80, 0x81, 0x84, 0xFF].randomElement(using: &random)!
            }
        }
        return bytes
    }

    @Test func readerAndProfileSurviveMutatedInputs() throws {
        let seeds = ["vnpt-organisation.der", "cmc-bmpstring.der", "viettel-rs-teletex.der", "lab-chain.p7b",
            "lab-chain.pem", "fpt-person-ec.der", "nacencomm-sha1-rsa1024.der"].map(Fixtures.bytes)
        var random = SeededGenerator(state: 0x4B59_534F_2025_0601)
        var profiles = 0
        var rejected = 0
        for round in 0..<Self.iterations {
            let input = Self.mutate(seeds[round % seeds.count], using: &random)
            do {
                for der in try CertificateFileContents.certificates(in: input) {
                    _ = try CertificateProfile(derEncoded: der, now: Fixtures.now)
                    profiles += 1
                }
            } catch is CertificateReadError {
                rejected += 1
            }
            // Any other error type escaping would fail the test: the reader promises CertificateReadError only.
        }
        print("ParserFuzzTests: \(Self.iterations) inputs, \(profiles) profiles, \(rejected) clear errors")
        #expect(profiles + rejected >= Self.iterations)
        #expect(rejected > 0)
    }
}

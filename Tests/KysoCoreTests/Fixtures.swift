import Foundation

/// The committed fixtures and what the generator (an independent implementation) says about them.
enum Fixtures {
    struct Manifest: Decodable {
        var fixtures: [String: Entry]
        var bundles: [String: [String]]
    }

    struct Entry: Decodable {
        var serialHex: String
        var serialDecimal: String
        var sha1: String
        var sha256: String
        var notBefore: Date
        var notAfter: Date
        var subject: String
        var issuer: String
        var signatureHash: String
        var keyType: String
        var keySizeInBits: Int
        var curve: String?
        var expect: Expectation?
    }

    /// What each fixture was built to show.
    struct Expectation: Decodable {
        var provider: String
        var holderKind: String
        var identifiers: [[String]]
        var taxCode: String?
        var taxCodeForm: String?
        var invalidTaxCode: String?
        var issuerCommonName: String?
        var commonName: String?
        var organization: String?
        var remoteSigning: Bool?
        var test: Bool?
        var sha1Signature: Bool?
        var chainVerifies: Bool?
        var stringTypes: [String: String]?
    }

    struct TaxCodeVector: Decodable, Sendable {
        var text: String
        var valid: Bool
    }

    static let directory: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func bytes(_ name: String) -> [UInt8] {
        Array(try! Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static let manifest: Manifest = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try! decoder.decode(Manifest.self, from: Data(bytes("manifest.json")))
    }()

    static let taxCodeVectors: [TaxCodeVector] =
        try! JSONDecoder().decode([TaxCodeVector].self, from: Data(bytes("taxcodes.json")))

    /// Every single-certificate fixture, sorted so test output is stable.
    static var certificateNames: [String] { manifest.fixtures.keys.sorted() }
    /// Fixtures that carry semantic expectations.
    static var expectedNames: [String] { manifest.fixtures.filter { $0.value.expect != nil }.keys.sorted() }

    /// A fixed "now" inside the validity of the current fixtures (2024-01-01 … 2027-01-01).
    static let now = Date(timeIntervalSince1970: 1_748_736_000)  // 2025-06-01T00:00:00Z
}

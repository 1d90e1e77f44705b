public import Foundation

/// The certificate's validity period (both ends inclusive, RFC 5280 section 4.1.2.5).
public struct Validity: Sendable, Codable, Hashable {
    public var notBefore: Date
    public var notAfter: Date

    public init(notBefore: Date, notAfter: Date) {
        self.notBefore = notBefore
        self.notAfter = notAfter
    }
}

/// Whether a certificate can be used at a given moment.
public enum CertificateStatus: String, Sendable, Codable, Hashable, CaseIterable {
    case valid
    case expired
    case notYetValid
    /// Valid, but ends within the configured number of days: time to renew before VNACCS rejects it.
    case expiringSoon

    /// The status at `now`; `expiringSoonDays` counts whole days of 86 400 seconds.
    public init(validity: Validity, now: Date, expiringSoonDays: Int = 30) {
        if now < validity.notBefore {
            self = .notYetValid
        } else if now > validity.notAfter {
            self = .expired
        } else if validity.notAfter.timeIntervalSince(now) <= Double(max(0, expiringSoonDays)) * 86_400 {
            self = .expiringSoon
        } else {
            self = .valid
        }
    }

    /// Whole days from `now` to the end of validity; negative once expired.
    public static func daysRemaining(validity: Validity, now: Date) -> Int {
        Int((validity.notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
    }
}

public import Foundation
public import KysoCore
import KysoStore

extension DaemonConfiguration {
    /// `bindings` in kysod.json: how strict binding a customs account to a certificate is.
    public struct Bindings: Codable, Sendable, Equatable {
        /// Accept certificates whose issuer is not a known Vietnamese licensed CA (default false: anyone can make a
        /// self-signed certificate carrying a company's tax code). Such bindings carry the warning `unknown-ca`.
        public var allowUnknownCAs: Bool?
        /// How old a registration statement may be when it is bound (default 900, 1 to 86400).
        public var statementMaxAgeSeconds: Double?
        enum CodingKeys: String, CodingKey, CaseIterable { case allowUnknownCAs, statementMaxAgeSeconds }

        public init(allowUnknownCAs: Bool? = nil, statementMaxAgeSeconds: Double? = nil) {
            self.allowUnknownCAs = allowUnknownCAs
            self.statementMaxAgeSeconds = statementMaxAgeSeconds
        }
    }
}

extension BindingRules {
    public static let defaultStatementMaxAge: TimeInterval = 900
    /// A statement may be bound for at most a day after it was signed: the ledger forgets unbound ones after that.
    public static let statementMaxAgeRange: ClosedRange<TimeInterval> = 1...KysoDatabase.unusedStatementLifetime

    /// The rules as kysod.json sets them; a value out of range is an error that says which.
    public init(configuration: DaemonConfiguration.Bindings?) throws {
        let age = configuration?.statementMaxAgeSeconds ?? Self.defaultStatementMaxAge
        guard age.isFinite, Self.statementMaxAgeRange.contains(age) else {
            throw ConfigurationError(
                path: "", reason: "bindings.statementMaxAgeSeconds must be between \(Int(Self.statementMaxAgeRange.lowerBound)) and \(Int(Self.statementMaxAgeRange.upperBound))")
        }
        self.init(maximumStatementAge: age, allowUnknownCAs: configuration?.allowUnknownCAs ?? false)
    }
}

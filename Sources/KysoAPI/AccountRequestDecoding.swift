import Foundation
import KysoCore

/// Where a binding's secrets are sealed.
public enum SealingMode: String, Codable, Sendable, CaseIterable {
    /// To the token when the request carries its PIN and the certificate's key can decrypt, else with the host key.
    case auto
    /// To the token or not at all (revealing then needs the token and its PIN).
    case token
    /// With kysod's host key.
    case host
}

// The account requests decode as usual, except that an enumerated field with a value the API does not know is
// `UnknownWireValue` (the answer then names the field and what it takes) rather than a bare decoding error. The
// enumerated field is read last, so a request missing a required field is still reported as malformed first.

extension RegistrationRequest {
    enum CodingKeys: String, CodingKey { case role, taxCode, userId, terminalId, challenge, certificate, pin, allowFinalTry, otp }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let taxCode = try container.decode(String.self, forKey: .taxCode)
        let userId = try container.decodeIfPresent(String.self, forKey: .userId)
        let terminalId = try container.decodeIfPresent(String.self, forKey: .terminalId)
        let challenge = try container.decodeIfPresent(Data.self, forKey: .challenge)
        let certificate = try container.decode(String.self, forKey: .certificate)
        let pin = try container.decodeIfPresent(SecretBytes.self, forKey: .pin)
        let allowFinalTry = try container.decodeIfPresent(Bool.self, forKey: .allowFinalTry)
        let otp = try container.decodeIfPresent(SecretBytes.self, forKey: .otp)
        guard let role = try container.decodeWireEnum(AccountRole.self, forKey: .role) else {
            throw DecodingError.keyNotFound(CodingKeys.role, .init(codingPath: container.codingPath, debugDescription: "role is required"))
        }
        self.init(role: role, taxCode: taxCode, userId: userId, terminalId: terminalId, challenge: challenge, certificate: certificate,
                  pin: pin, allowFinalTry: allowFinalTry, otp: otp)
    }
}

extension BindingCreateRequest {
    enum CodingKeys: String, CodingKey { case statement, signature, terminalAccessKey, password, sealing, pin, allowFinalTry }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let statement = try container.decode(Data.self, forKey: .statement)
        let signature = try container.decode(Data.self, forKey: .signature)
        let terminalAccessKey = try container.decodeIfPresent(SecretBytes.self, forKey: .terminalAccessKey)
        let password = try container.decodeIfPresent(SecretBytes.self, forKey: .password)
        let pin = try container.decodeIfPresent(SecretBytes.self, forKey: .pin)
        let allowFinalTry = try container.decodeIfPresent(Bool.self, forKey: .allowFinalTry)
        let sealing = try container.decodeWireEnum(SealingMode.self, forKey: .sealing)
        self.init(statement: statement, signature: signature, terminalAccessKey: terminalAccessKey, password: password, sealing: sealing,
                  pin: pin, allowFinalTry: allowFinalTry)
    }
}

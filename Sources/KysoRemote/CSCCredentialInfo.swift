/// `credentials/info`'s answer in either version: v1 puts the authorisation in `authMode`, `PIN` and `OTP`, v2 in
/// `auth` {mode, objects}. Lenient where published examples disagree with the schema (`multisign` a number or a
/// boolean, `key.curve` an OID string or absent).
public struct CSCCredentialInfo: Decodable, Sendable, Hashable {
    public struct Key: Decodable, Sendable, Hashable {
        public var status: String
        public var algo: [String]
        public var len: Int?
        public var curve: String?

        enum CodingKeys: String, CodingKey { case status, algo, len, curve }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            status = try container.decodeIfPresent(String.self, forKey: .status) ?? "enabled"
            algo = try container.decode([String].self, forKey: .algo)
            len = try? container.decodeIfPresent(Int.self, forKey: .len)
            curve = try? container.decodeIfPresent(String.self, forKey: .curve)
        }
    }

    public struct Cert: Decodable, Sendable, Hashable {
        public var status: String?
        public var certificates: [String]?
        public var issuerDN: String?
        public var serialNumber: String?
        public var subjectDN: String?
        public var validFrom: String?
        public var validTo: String?
    }

    public struct PINInfo: Decodable, Sendable, Hashable {
        public var presence: String?
        public var format: String?
        public var label: String?
        public var description: String?
    }

    public struct OTPInfo: Decodable, Sendable, Hashable {
        public var presence: String?
        public var type: String?
        public var provider: String?
        public var format: String?
        public var label: String?
        public var description: String?
        public var ID: String?
    }

    public struct Auth: Decodable, Sendable, Hashable {
        public struct Object: Decodable, Sendable, Hashable {
            public var type: String
            public var id: String
            public var format: String?
            public var label: String?
            public var description: String?
        }
        public var mode: String
        public var expression: String?
        public var objects: [Object]?
    }

    public var description: String?
    public var key: Key
    public var cert: Cert?
    public var authMode: String?
    public var PIN: PINInfo?
    public var OTP: OTPInfo?
    public var auth: Auth?
    public var SCAL: String?
    public var multisign: Int?
    public var lang: String?

    enum CodingKeys: String, CodingKey {
        case description, key, cert, authMode, PIN, OTP, auth, SCAL, multisign, lang
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        key = try container.decode(Key.self, forKey: .key)
        cert = try container.decodeIfPresent(Cert.self, forKey: .cert)
        authMode = try container.decodeIfPresent(String.self, forKey: .authMode)
        PIN = try container.decodeIfPresent(PINInfo.self, forKey: .PIN)
        OTP = try container.decodeIfPresent(OTPInfo.self, forKey: .OTP)
        auth = try container.decodeIfPresent(Auth.self, forKey: .auth)
        SCAL = try? container.decodeIfPresent(String.self, forKey: .SCAL)
        lang = try container.decodeIfPresent(String.self, forKey: .lang)
        if let count = try? container.decodeIfPresent(Int.self, forKey: .multisign) {
            multisign = count
        } else if let allowed = try? container.decodeIfPresent(Bool.self, forKey: .multisign) {
            multisign = allowed ? nil : 1  // v1.0.3's boolean: true says "more than one" without a number
        } else {
            multisign = nil
        }
    }
}

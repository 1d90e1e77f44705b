/// The secrets a declarant account keeps beside its binding, by their API names.
public enum SecretKind: String, Sendable, Codable, Hashable, CaseIterable {
    /// The Terminal access key (khóa truy cập) of the account's Terminal ID.
    case terminalAccessKey
    /// The VNACCS password (mật khẩu truy nhập).
    case password
}

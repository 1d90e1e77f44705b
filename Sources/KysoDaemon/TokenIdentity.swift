import KysoCore
import Crypto
import Foundation
import PKCS11

/// A token's id in the API: the same token in the same module gets the same id after every re-insertion
/// and daemon restart, because it is derived from what the token says about itself, not from slot numbers.
enum TokenIdentity {
    static func id(modulePath: String, info: TokenInfo) -> String {
        let text = [modulePath, info.manufacturerID, info.model, info.serialNumber].joined(separator: "\u{1F}")
        return Hex.lowercase(SHA256.hash(data: Array(text.utf8)).prefix(8))
    }
}

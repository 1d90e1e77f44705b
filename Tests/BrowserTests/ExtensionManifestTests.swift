import Crypto
import Foundation
import KysoTestSupport
import Testing

/// The extension's fixed id and the host manifests that name it must agree, or the browser never starts the host.
@Suite("extension and host manifests")
struct ExtensionManifestTests {
    static func json(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Lab.repositoryRoot.appendingPathComponent(path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("Chromium's id from the manifest key is the one chromium.json allows; Firefox's add-on id likewise")
    func idsAgree() throws {
        let manifest = try Self.json("browser/extension/manifest.json")
        let keyText = try #require(manifest["key"] as? String)
        let key = try #require(Data(base64Encoded: keyText))
        // Chromium: the first 32 hex digits of SHA-256 of the public key, each digit 0–f written a–p.
        let id = String(SHA256.hash(data: key).map { String(format: "%02x", $0) }.joined().prefix(32).map {
            Character(UnicodeScalar(UInt8(ascii: "a") + UInt8($0.hexDigitValue!)))
        })
        #expect(id == BrowserFixture.extensionID)
        #expect(try Self.json("browser/native-messaging/chromium.json")["allowed_origins"] as? [String] == ["chrome-extension://\(id)/"])
        let gecko = ((manifest["browser_specific_settings"] as? [String: Any])?["gecko"] as? [String: Any])?["id"] as? String
        let geckoID = try #require(gecko)
        #expect(try Self.json("browser/native-messaging/firefox.json")["allowed_extensions"] as? [String] == [geckoID])
        #expect(manifest["manifest_version"] as? Int == 3)
        #expect(manifest["permissions"] as? [String] == ["nativeMessaging"], "nothing beyond native messaging")
    }
}

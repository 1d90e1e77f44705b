import Foundation
import KysoAPI
import KysoTestSupport

/// A kysod on a private copy of the SoftHSM lab, and a folder the browser test owns: a HOME and XDG_CONFIG_HOME
/// for the person, Chromium's profile (with the host registered in it), and the scripted pinentry's answers.
struct BrowserFixture {
    let daemon: DaemonProcess
    let manifest: LabManifest
    let client: KysoClient
    let folder: URL

    /// The browser's profile: Chromium's user data dir (its NativeMessagingHosts/ inside), or Firefox's profile.
    var profile: URL { folder.appendingPathComponent("home/.config/chromium") }
    var configHome: URL { folder.appendingPathComponent("home/.config") }
    var pinentryFolder: URL { folder.appendingPathComponent("pinentry") }
    var originsFile: String { configHome.appendingPathComponent("kyso/browser-origins.json").path }

    static let testsFolder = Lab.repositoryRoot.appendingPathComponent("Tests/BrowserTests")
    static let hostName = "vn.kyso.browser_host"
    /// The id the extension's manifest `key` fixes (browser/native-messaging/chromium.json names it too).
    static let extensionID = "abkaccflcihnolnnnookekkklafdcega"
    /// The add-on id in the manifest's browser_specific_settings (browser/native-messaging/firefox.json).
    static let firefoxExtensionID = "browser@kyso.vn"

    static func start() async throws -> BrowserFixture {
        let (labDirectory, manifest) = try await Lab.copy()
        let daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc"],
            environment: ["SOFTHSM2_CONF": labDirectory.appendingPathComponent("softhsm2.conf").path])
        let folder = Lab.scratchRoot.appendingPathComponent("browser-\(UUID().uuidString)")
        let fixture = BrowserFixture(daemon: daemon, manifest: manifest, client: KysoClient(socketPath: daemon.socketPath), folder: folder)
        try FileManager.default.createDirectory(at: fixture.profile.appendingPathComponent("NativeMessagingHosts"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: fixture.pinentryFolder, withIntermediateDirectories: true)
        // The user-level host manifest Chromium reads from its profile: the host built by this test run.
        let hostManifest: [String: Any] = [
            "name": hostName, "description": "Kyso browser test", "type": "stdio",
            "path": Lab.productsDirectory.appendingPathComponent("kyso-browser-host").path,
            "allowed_origins": ["chrome-extension://\(extensionID)/"],
        ]
        try JSONSerialization.data(withJSONObject: hostManifest)
            .write(to: fixture.profile.appendingPathComponent("NativeMessagingHosts/\(hostName).json"))
        // Firefox reads the user's manifests from ~/.mozilla/native-messaging-hosts, naming the add-on id instead.
        var firefoxManifest = hostManifest
        firefoxManifest["allowed_origins"] = nil
        firefoxManifest["allowed_extensions"] = [firefoxExtensionID]
        let mozilla = fixture.folder.appendingPathComponent("home/.mozilla/native-messaging-hosts")
        try FileManager.default.createDirectory(at: mozilla, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: firefoxManifest).write(to: mozilla.appendingPathComponent("\(hostName).json"))
        return fixture
    }

    /// The environment the browser (and so the host it starts, and the pinentry the host starts) runs in.
    var environment: [String: String] {
        [
            "HOME": folder.appendingPathComponent("home").path,
            "XDG_CONFIG_HOME": configHome.path,
            "KYSO_SOCKET": daemon.socketPath,
            "KYSO_PINENTRY": Self.testsFolder.appendingPathComponent("fake-pinentry.py").path,
            "FAKE_PINENTRY_DIR": pinentryFolder.path,
        ]
    }

    /// The pinentry's answers, one per dialog, in order (see fake-pinentry.py).
    func answer(_ answers: [String]) throws {
        try answers.map { $0 + "\n" }.joined().write(to: pinentryFolder.appendingPathComponent("answers"), atomically: true, encoding: .utf8)
    }

    /// Every dialog the pinentry was asked to show, in order.
    func dialogs() throws -> [[String: String]] {
        let path = pinentryFolder.appendingPathComponent("dialogs.jsonl").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] ?? [:]
        }
    }
}

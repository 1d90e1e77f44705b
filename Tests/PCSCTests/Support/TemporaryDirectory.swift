import Foundation

/// A folder of the test's own under /tmp, removed when the value goes away.
///
/// Paths stay short on purpose: a Unix socket path must fit in 108 bytes.
final class TemporaryDirectory: Sendable {
    let url: URL

    init(_ prefix: String = "kyso-pcsc") throws {
        let template = "/tmp/\(prefix)-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { throw Failure("mkdtemp \(template) failed: errno \(errno)") }
        url = URL(fileURLWithPath: String(cString: made))
    }

    var path: String { url.path }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The repository root (the folder holding Package.swift), for Tools/.
let repositoryRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
    }
    fatalError("Package.swift not found above \(#filePath)")
}()

func tool(_ relativePath: String) -> String { repositoryRoot.appendingPathComponent(relativePath).path }

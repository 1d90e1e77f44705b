public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A folder of the test's own under /tmp (mkdtemp), removed when the value goes away.
///
/// Paths stay short on purpose: a Unix socket path must fit in 108 bytes.
public final class TemporaryDirectory: Sendable {
    public let url: URL

    public init(_ prefix: String = "kyso-test") throws {
        let template = "/tmp/\(prefix)-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { throw TestFailure("mkdtemp \(template) failed: errno \(errno)") }
        url = URL(fileURLWithPath: String(cString: made))
    }

    public var path: String { url.path }

    /// The path of `name` in this folder.
    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

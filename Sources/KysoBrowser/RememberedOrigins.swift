public import Foundation
public import KysoAPI
#if canImport(Glibc)
import Glibc
#endif

/// The origins a person allowed to see their certificates, kept per user in
/// `$XDG_CONFIG_HOME/kyso/browser-origins.json` (mode 0600, its folder 0700): read by the browser host before it
/// asks, listed and revoked with `kyso browser origins`. An origin not in the file is asked about again; a
/// revoked one is simply removed.
public struct RememberedOrigins: Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var origin: BrowserOrigin
        public var allowedAt: Date
    }

    struct File: Codable { var origins: [Entry] }

    public let path: String

    public init(path: String? = nil) {
        self.path = path ?? Self.defaultPath()
    }

    public static func defaultPath() -> String {
        let environment = ProcessInfo.processInfo.environment
        let config: String
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            config = xdg
        } else {
            config = (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        }
        return config + "/kyso/browser-origins.json"
    }

    public enum Failure: Error, CustomStringConvertible {
        case unreadable(String)
        case unwritable(String)
        public var description: String {
            switch self {
            case .unreadable(let reason): "remembered origins could not be read: \(reason)"
            case .unwritable(let reason): "remembered origins could not be saved: \(reason)"
            }
        }
    }

    /// Every remembered origin; none when the file does not exist yet.
    public func list() throws(Failure) -> [Entry] {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw .unreadable("\(path) is not readable") }
            return []
        }
        do {
            return try APIJSON.decoder().decode(File.self, from: data).origins
        } catch {
            throw .unreadable("\(path): \(error)")
        }
    }

    public func contains(_ origin: BrowserOrigin) throws(Failure) -> Bool {
        try list().contains { $0.origin == origin }
    }

    public func remember(_ origin: BrowserOrigin, at time: Date = Date()) throws(Failure) {
        var entries = try list()
        guard !entries.contains(where: { $0.origin == origin }) else { return }
        entries.append(Entry(origin: origin, allowedAt: time))
        try save(entries)
    }

    /// Removes an origin; false when it was not remembered.
    public func revoke(_ origin: BrowserOrigin) throws(Failure) -> Bool {
        var entries = try list()
        let before = entries.count
        entries.removeAll { $0.origin == origin }
        guard entries.count != before else { return false }
        try save(entries)
        return true
    }

    /// Writes a new file beside the old one (0600 from its creation, never wider) and renames it over.
    private func save(_ entries: [Entry]) throws(Failure) {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .unwritable("\(folder): \(error)")
        }
        let data: Data
        do { data = try APIJSON.encoder(pretty: true).encode(File(origins: entries)) } catch { throw .unwritable("\(error)") }
        let temporary = path + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .unwritable("\(temporary): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .unwritable("\(path): \(reason)")
        }
    }
}

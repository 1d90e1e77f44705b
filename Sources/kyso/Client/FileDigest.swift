import Crypto
import Foundation
import KysoText

/// SHA-256 of a file read a megabyte at a time: `kyso sign` sends kysod the digest, never the file, so a declaration
/// attachment of any size is signed (raw or CMS) within the daemon's small request limit and without holding the
/// file in memory.
enum FileDigest {
    /// The digest of `path`, or of standard input for `-`.
    static func sha256(of path: String) throws -> [UInt8] {
        let handle: FileHandle
        if path == "-" {
            handle = FileHandle.standardInput
        } else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw FileProblem(tr("file.isFolder", ["path": path]))
            }
            guard let opened = FileHandle(forReadingAtPath: path) else { throw FileProblem(tr("file.cannotRead", ["path": path, "reason": FileProblem.reason()])) }
            handle = opened
        }
        defer { if path != "-" { try? handle.close() } }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return Array(hasher.finalize())
    }
}

/// A file kyso cannot read or write, said in words (not a Foundation error domain and code).
struct FileProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }

    /// The C library's words for the last error (`Permission denied`, `No such file or directory`).
    static func reason() -> String { String(cString: strerror(errno)) }
}

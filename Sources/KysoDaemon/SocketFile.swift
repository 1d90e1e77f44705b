import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The API socket's file: mode 0660 and the configured group, so file permissions are the first guard.
enum SocketFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func prepareDirectory(for socketPath: String) throws {
        let directory = (socketPath as NSString).deletingLastPathComponent
        guard !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) else { return }
        // 0755: the socket's own mode decides access; the folder only has to be traversable.
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
    }

    static func restrict(_ path: String, group: String?, logger: Logger) throws {
        if let group {
            if let gid = AccessPolicy.gid(of: group) {
                guard chown(path, uid_t.max, gid) == 0 else {
                    throw Failure(description: "cannot give \(path) to group \(group): \(String(cString: strerror(errno)))")
                }
            } else {
                logger.warning("socket group does not exist; the socket stays with the daemon's group",
                               metadata: ["group": "\(group)"])
            }
        }
        guard chmod(path, 0o660) == 0 else {
            throw Failure(description: "cannot set mode 0660 on \(path): \(String(cString: strerror(errno)))")
        }
    }
}

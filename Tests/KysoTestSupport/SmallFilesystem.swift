public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tmpfs of a few megabytes mounted on a temp folder (root only), so a test can fill a disk without filling the machine's.
public final class SmallFilesystem: @unchecked Sendable {
    public let mountPoint: URL

    public static let isPossible: Bool = {
        guard getuid() == 0, let probe = try? SmallFilesystem(megabytes: 1) else { return false }
        probe.unmount()
        return true
    }()

    public init(megabytes: Int) throws {
        mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-small-fs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        try Shell.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0755", "tmpfs", mountPoint.path])
    }

    /// Writes zeros until the filesystem refuses more; returns the filler file.
    public func fill() throws -> URL {
        let filler = mountPoint.appendingPathComponent("filler")
        _ = try? Shell.run("/usr/bin/dd", ["if=/dev/zero", "of=\(filler.path)", "bs=64k"])
        // dd stops at ENOSPC; top up the last partial block too.
        _ = try? Shell.run("/usr/bin/dd", ["if=/dev/zero", "of=\(mountPoint.appendingPathComponent("filler-tail").path)", "bs=512"])
        return filler
    }

    public func unmount() {
        _ = try? Shell.run("/usr/bin/umount", ["-l", mountPoint.path])
        try? FileManager.default.removeItem(at: mountPoint)
    }
}

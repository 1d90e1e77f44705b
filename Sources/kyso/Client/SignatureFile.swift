import Foundation
import KysoText
#if canImport(Glibc)
import Glibc
#endif

/// Where `kyso sign --out` puts the signature, made ready before the PIN is asked: a new file next to the target, so
/// a path that cannot be written fails before the token signs (no PIN spent, no signature audited for nothing), and
/// the target appears whole or not at all (renamed into place once written).
struct SignatureFile {
    let path: String
    private let partial: String
    private let descriptor: Int32

    /// Creates the partial file beside `path`, or says in words why `--out` cannot be written.
    init(path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw FileProblem(tr("out.isFolder", ["path": path])) }
            guard access(path, W_OK) == 0 else { throw FileProblem(tr("out.cannotWrite", ["path": path, "reason": FileProblem.reason()])) }
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        self.path = path
        partial = folder + "/." + url.lastPathComponent + ".kyso-\(getpid())"
        descriptor = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileProblem(tr("out.cannotWriteIn", ["path": path, "reason": FileProblem.reason(), "folder": folder])) }
    }

    /// Writes the signature and renames it into place.
    func commit(_ bytes: Data) throws {
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        do {
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
        } catch {
            discard()
            throw FileProblem(tr("out.cannotWrite", ["path": path, "reason": error.localizedDescription]))
        }
        close(descriptor)
        guard rename(partial, path) == 0 else {
            let reason = FileProblem.reason()
            unlink(partial)
            throw FileProblem(tr("out.cannotWrite", ["path": path, "reason": reason]))
        }
    }

    /// Removes the partial file (signing failed or was refused).
    func discard() {
        close(descriptor)
        unlink(partial)
    }
}

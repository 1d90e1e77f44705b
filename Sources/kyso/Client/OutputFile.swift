import Foundation
import KysoText
#if canImport(Glibc)
import Glibc
#endif

/// A file kyso writes (`kyso sign --out`, `kyso backup`), made ready before anything is asked: a new file next to the
/// target, so a path that cannot be written fails before the token signs or the passphrase is typed (no PIN spent,
/// no signature audited for nothing), and the target appears whole or not at all (renamed into place once written).
struct OutputFile {
    /// How a failure names the file: `--out PATH` for a signature, the bare path for a backup.
    enum Naming {
        case outOption, path

        var cannotWrite: String { self == .outOption ? "out.cannotWrite" : "file.cannotWrite" }
        var cannotWriteIn: String { self == .outOption ? "out.cannotWriteIn" : "file.cannotWriteIn" }
    }

    let path: String
    private let naming: Naming
    private let partial: String
    private let descriptor: Int32

    /// A signature: readable by all (0644), named as `--out`; an existing target must be a writable file.
    static func signature(path: String) throws -> OutputFile {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw FileProblem(tr("out.isFolder", ["path": path])) }
            guard access(path, W_OK) == 0 else { throw FileProblem(tr("out.cannotWrite", ["path": path, "reason": FileProblem.reason()])) }
        }
        return try OutputFile(path: path, mode: 0o644, naming: .outOption)
    }

    /// A file only its owner may read (a backup): 0600.
    static func privateFile(path: String) throws -> OutputFile {
        try OutputFile(path: path, mode: 0o600, naming: .path)
    }

    /// Creates the partial file beside `path`, or says in words why it cannot be written.
    private init(path: String, mode: mode_t, naming: Naming) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        self.path = path
        self.naming = naming
        partial = folder + "/." + url.lastPathComponent + ".kyso-\(getpid())"
        descriptor = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw FileProblem(tr(naming.cannotWriteIn, ["path": path, "reason": FileProblem.reason(), "folder": folder]))
        }
    }

    /// Writes the contents and renames them into place.
    func commit(_ bytes: Data) throws {
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        do {
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
        } catch {
            discard()
            throw FileProblem(tr(naming.cannotWrite, ["path": path, "reason": error.localizedDescription]))
        }
        close(descriptor)
        guard rename(partial, path) == 0 else {
            let reason = FileProblem.reason()
            unlink(partial)
            throw FileProblem(tr(naming.cannotWrite, ["path": path, "reason": reason]))
        }
    }

    /// Removes the partial file (signing failed or was refused, the passphrase was not given).
    func discard() {
        close(descriptor)
        unlink(partial)
    }
}

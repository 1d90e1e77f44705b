import Foundation

/// The repository checkout these tests belong to (two levels above this file).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Where SwiftPM put this build's executables (kyso, kysod): the folder of the test bundle, or one above it.
let productsDirectory: URL = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("kysod").path) {
        url.deleteLastPathComponent()
    }
    return url
}()

func repositoryFile(_ relativePath: String) -> URL {
    repositoryRoot.appendingPathComponent(relativePath)
}

func repositoryText(_ relativePath: String) throws -> String {
    try String(contentsOf: repositoryFile(relativePath), encoding: .utf8)
}

/// A fresh directory owned by one test, removed when `body` returns.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("kyso-packaging-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// What a finished child process left behind.
struct ProcessResult {
    var status: Int32
    var standardOutput: String
    var standardError: String
    /// Both streams, for assertions that do not care which one a tool writes to.
    var output: String { standardOutput + standardError }
}

/// Runs a program to completion. Output goes through files, not pipes, so a chatty tool cannot
/// fill a pipe and block while we wait for it.
func runProgram(
    _ program: String, _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]
) throws -> ProcessResult {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("out")
    let errURL = scratch.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : try executablePath(program))
    process.arguments = arguments
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    if let directory { process.currentDirectoryURL = directory }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    return ProcessResult(
        status: process.terminationStatus,
        standardOutput: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
        standardError: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}

struct ProgramNotFound: Error, CustomStringConvertible {
    let name: String
    var description: String { "\(name) is not installed (see scripts/install-deps)" }
}

/// Looks a program up on PATH, like a shell would.
func executablePath(_ name: String) throws -> String {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
    let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
    for directory in directories {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw ProgramNotFound(name: name)
}

func isInstalled(_ program: String) -> Bool {
    (try? executablePath(program)) != nil
}

/// A shell script that exits 0, standing in for kyso/kysod where only a path must exist.
func writeStubExecutable(at url: URL) throws {
    try "#!/bin/sh\nexit 0\n".write(to: url, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
}

/// The permission bits of a file, e.g. 0o644.
func permissions(of url: URL) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

/// Owner and group ids of a file, without following a final symlink.
func ownership(of url: URL) throws -> (uid: UInt32, gid: UInt32) {
    var info = stat()
    guard lstat(url.path, &info) == 0 else { throw POSIXError(.ENOENT) }
    return (info.st_uid, info.st_gid)
}

/// The colon-separated fields of the entry `name` in a passwd- or group-format file.
func accountEntry(named name: String, in file: URL) throws -> [String]? {
    let text = try String(contentsOf: file, encoding: .utf8)
    for line in text.split(separator: "\n") {
        let fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if fields.first == name { return fields }
    }
    return nil
}

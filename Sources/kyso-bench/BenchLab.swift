import Foundation
import KysoTestSupport

/// The token lab the benchmark makes for itself (Tools/kyso-lab) in its own temporary folder: one master lab with
/// the standard tokens plus extras, and variants holding the first N of its tokens (copied token folders, each
/// with its own softhsm2.conf), so every size is measured on the same tokens.
final class BenchLab: Sendable {
    struct Token: Decodable, Sendable {
        struct Certificate: Decodable, Sendable {
            let idHex: String
            let sha256: String
        }
        let label: String
        let serial: String
        let pin: String
        let kind: String
        let folder: String
        let certificates: [Certificate]
    }
    private struct Manifest: Decodable { let tokens: [Token] }

    let root: URL
    /// Standard tokens first (kyso-vnpt leading, so a one-token lab holds an ordinary RSA enterprise token), then extras.
    let tokens: [Token]
    let masterConf: String

    init(root: URL, totalTokens: Int) throws {
        self.root = root
        let master = root.appendingPathComponent("master")
        let tool = repositoryRoot.appendingPathComponent("Tools/kyso-lab").path
        try capture(tool, ["init", master.path])
        var manifest = try JSONDecoder().decode(Manifest.self, from: Data(try capture(tool, ["list", master.path]).utf8))
        let extra = totalTokens - manifest.tokens.count
        if extra > 0 {
            // RSA-2048 enterprise tokens like the standard ones, providers rotating.
            try capture(tool, ["add-token", master.path, "--label", "bench", "--count", String(extra)])
        }
        // A second P-256 token, so ECDSA can be signed on two tokens in parallel; kept out of the sized variants.
        try capture(tool, ["add-token", master.path, "--label", "bench-ec", "--kind", "ec", "--provider", "viettel"])
        manifest = try JSONDecoder().decode(Manifest.self, from: Data(try capture(tool, ["list", master.path]).utf8))
        let others = manifest.tokens.filter { $0.label != "kyso-vnpt" && $0.label != "bench-ec" }
        tokens = manifest.tokens.filter { $0.label == "kyso-vnpt" } + others + manifest.tokens.filter { $0.label == "bench-ec" }
        masterConf = master.appendingPathComponent("softhsm2.conf").path
    }

    /// A lab with the first `count` tokens; returns its softhsm2.conf.
    func variant(_ count: Int) throws -> String {
        precondition(count < tokens.count, "lab has \(tokens.count - 1) sized tokens, \(count) asked")
        return try variant(named: "lab-\(count)", Array(tokens.prefix(count)))
    }

    /// A lab with the tokens of these labels.
    func variant(labels: [String]) throws -> String {
        try variant(named: "lab-" + labels.joined(separator: "+"), labels.compactMap { label in tokens.first { $0.label == label } })
    }

    func token(_ label: String) throws -> Token {
        guard let token = tokens.first(where: { $0.label == label }) else { throw TestFailure("no lab token \(label)") }
        return token
    }

    private func variant(named name: String, _ chosen: [Token]) throws -> String {
        let directory = root.appendingPathComponent(name)
        let tokenDirectory = directory.appendingPathComponent("tokens")
        let conf = directory.appendingPathComponent("softhsm2.conf")
        if FileManager.default.fileExists(atPath: conf.path) { return conf.path }
        try FileManager.default.createDirectory(at: tokenDirectory, withIntermediateDirectories: true)
        for token in chosen {
            let folder = URL(fileURLWithPath: token.folder)
            try FileManager.default.copyItem(at: folder, to: tokenDirectory.appendingPathComponent(folder.lastPathComponent))
        }
        try "directories.tokendir = \(tokenDirectory.path)\nobjectstore.backend = file\nlog.level = ERROR\n"
            .write(to: conf, atomically: true, encoding: .utf8)
        return conf.path
    }
}

/// The repository this benchmark was built from (for Tools/), found above this source file, else the working directory.
let repositoryRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Tools/kyso-lab").path) { return url }
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
}()

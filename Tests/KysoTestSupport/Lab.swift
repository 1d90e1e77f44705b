public import Foundation

/// The token lab (`Tools/kyso-lab`) as tests use it.
public enum Lab {
    public static let softHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

    /// Runs the lab tool and returns its standard output.
    @discardableResult
    public static func tool(_ arguments: [String]) throws -> Data {
        try Shell.run(repositoryRoot.appendingPathComponent("Tools/kyso-lab").path, arguments)
    }

    /// A private copy of the standard lab (made once per test run): its own token store and softhsm2.conf,
    /// so a test that adds, breaks or signs with tokens affects only itself.
    public static func copy() async throws -> (directory: URL, manifest: LabManifest) {
        let template = try await StandardLab.shared.directory()
        let copy = scratchRoot.appendingPathComponent("lab-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: template, to: copy)
        let conf = """
            directories.tokendir = \(copy.appendingPathComponent("tokens").path)
            objectstore.backend = file
            log.level = ERROR

            """
        try conf.write(to: copy.appendingPathComponent("softhsm2.conf"), atomically: true, encoding: .utf8)
        // The manifest names files by absolute path: point them into the copy, so a test that changes its lab
        // (kyso-lab add-token DIR, where DIR comes from the manifest) never touches the template.
        let manifestFile = copy.appendingPathComponent("lab.json")
        let text = try String(contentsOf: manifestFile, encoding: .utf8)
        try text.replacingOccurrences(of: template.path + "/", with: copy.path + "/")
            .replacingOccurrences(of: "\"\(template.path)\"", with: "\"\(copy.path)\"")
            .write(to: manifestFile, atomically: true, encoding: .utf8)
        return (copy, try manifest(copy))
    }

    /// One folder per test process for lab copies and the template, removed when the process exits.
    public static let scratchRoot: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        atexit {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-tests-\(getpid())")
            try? FileManager.default.removeItem(at: root)
        }
        return root
    }()

    public static func manifest(_ directory: URL) throws -> LabManifest {
        try JSONDecoder().decode(LabManifest.self, from: try tool(["list", directory.path]))
    }

    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// A file of the repository's Tools/ (or any path under its root).
    public static func toolPath(_ relativePath: String) -> String { repositoryRoot.appendingPathComponent(relativePath).path }

    /// Where SwiftPM put the executables of this build (`kysod`, `kyso`), beside the test bundle.
    public static let productsDirectory: URL = {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("kysod").path) {
            url.deleteLastPathComponent()
        }
        return url
    }()
}

/// What `kyso-lab list` prints.
public struct LabManifest: Decodable, Sendable {
    public struct Token: Decodable, Sendable {
        public let label: String
        public let serial: String
        public let pin: String
        public let kind: String
        public let provider: String?
        public let certificates: [Certificate]
    }
    public struct Certificate: Decodable, Sendable {
        public let idHex: String
        public let label: String
        public let subject: String
        public let taxCode: String?
        public let sha256: String
        public let path: String
    }
    public let tokens: [Token]
    public let softhsm2Conf: String
}

/// The standard lab, made once per test run and copied by each test.
actor StandardLab {
    static let shared = StandardLab()
    private var made: URL?

    func directory() throws -> URL {
        if let made { return made }
        let directory = Lab.scratchRoot.appendingPathComponent("lab-template")
        try Lab.tool(["init", directory.path])
        made = directory
        return directory
    }
}

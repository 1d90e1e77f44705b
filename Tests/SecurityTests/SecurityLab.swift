import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// What the security tests share: a kysod on a private lab copy, and clients run as other users.
enum SecurityLab {
    /// A kysod on a private copy of the SoftHSM lab, PC/SC off. `stateDirectory` replaces the daemon's own.
    static func daemon(configuration: String? = nil, stateDirectory: String? = nil) async throws -> (DaemonProcess, LabManifest, KysoClient) {
        let lab = try await LabDaemon.start(extraArguments: stateDirectory.map { ["--state-dir", $0] } ?? [], configuration: configuration)
        let (daemon, manifest) = (lab.daemon, lab.manifest)
        // Other users reach the socket through the daemon's folder; the socket's mode and kysod's policy decide.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: daemon.directory.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: daemon.directory.appendingPathComponent("run").path)
        return (daemon, manifest, KysoClient(socketPath: daemon.socketPath))
    }

    /// Runs a Python script (`python3 -c`) with `arguments`; returns its standard output.
    @discardableResult
    static func python(_ script: String, _ arguments: [String] = [], input: Data? = nil) throws -> String {
        String(decoding: try Shell.run("python3", ["-c", script] + arguments, input: input), as: UTF8.self)
    }

    /// One HTTP/1.1 exchange on a Unix socket as `uid`/`gid` with `groups` (setpriv), like curl would make it.
    /// Returns the status code (0 when it could not connect) and the body.
    static func request(as uid: UInt32, gid: UInt32, groups: [UInt32] = [], socket: String, method: String = "GET",
                        path: String, body: String? = nil) throws -> (status: Int, body: String) {
        let groupArgument = groups.isEmpty ? ["--clear-groups"] : ["--groups=" + groups.map(String.init).joined(separator: ",")]
        var curl = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--unix-socket", socket, "-X", method]
        if let body { curl += ["-H", "content-type: application/json", "--data-binary", body] }
        let text: String
        do {
            text = String(decoding: try Shell.run("setpriv", ["--reuid=\(uid)", "--regid=\(gid)"] + groupArgument + curl + ["http://localhost" + path]),
                          as: UTF8.self)
        } catch let failure as Shell.Failure {
            text = failure.output
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }
}

extension SecurityLab {
    /// A token of the lab by label, with its first certificate.
    static func token(_ label: String, client: KysoClient) async throws -> (id: String, certificate: String) {
        let tokens = try await client.request(.GET, "/v1/tokens").decode(TokenListResponse.self).tokens
        guard let token = tokens.first(where: { $0.label == label }), let certificate = token.certificates.first else {
            throw TestFailure("no token \(label) in \(tokens.map(\.label))")
        }
        return (token.id, certificate.sha256)
    }
}

extension SecurityLab {
    /// Registers and binds declarant `userId` to kyso-vnpt's certificate as root, with host-sealed secrets;
    /// returns the bind's HTTP status and body.
    @discardableResult
    static func bindDeclarant(_ userId: String, client: KysoClient, manifest: LabManifest) async throws -> KysoClient.Response {
        let pin = manifest.tokens.first { $0.label == "kyso-vnpt" }?.pin
        let tokens = try await client.request(.GET, "/v1/tokens").decode(TokenListResponse.self).tokens
        guard let certificate = tokens.first(where: { $0.label == "kyso-vnpt" })?.certificates.first,
              let taxCode = certificate.profile.taxCode?.value else { throw TestFailure("no kyso-vnpt certificate") }
        let registered = try await client.request(.POST, "/v1/registrations", body: Array(try APIJSON.encoder().encode(RegistrationRequest(
            role: .declarant, taxCode: taxCode, userId: userId, terminalId: "TERM01", certificate: certificate.sha256, pin: pin.map { SecretBytes($0) }))))
        let registration = try registered.decode(RegistrationResponse.self)
        return try await client.request(.POST, "/v1/bindings", body: Array(try APIJSON.encoder().encode(BindingCreateRequest(
            statement: registration.statement, signature: registration.signature, terminalAccessKey: "k3y0f16charsAbcd",
            password: "pw123456", sealing: .host))))
    }

    /// `count` refused signatures (a token that does not exist) as nobody, one connection each; returns the statuses.
    static func refusedSignatures(_ count: Int, socket: String) throws -> [Int] {
        let script = #"""
            import os, re, socket, sys
            path, count = sys.argv[1], int(sys.argv[2])
            os.setgroups([]); os.setgid(65534); os.setuid(65534)
            body = b'{"certificate": "' + b"ab" * 32 + b'", "data": "aGk="}'
            request = (b"POST /v1/tokens/no-such-token/sign HTTP/1.1\r\nHost: kysod\r\nConnection: close\r\n"
                       + b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            for _ in range(count):
                s = socket.socket(socket.AF_UNIX); s.connect(path); s.sendall(request)
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk: break
                    data += chunk
                s.close()
                print(re.match(rb"HTTP/1\.1 (\d{3})", data).group(1).decode())
            """#
        return try python(script, [socket, "\(count)"]).split(separator: "\n").compactMap { Int($0) }
    }
}

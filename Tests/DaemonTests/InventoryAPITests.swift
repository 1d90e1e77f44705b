import Foundation
import KysoAPI
import KysoTestSupport
import Testing

@Suite("kysod inventory over the socket")
struct InventoryAPITests {
    @Test("READY=1 comes only when every lab token is already listed, with certificates and profiles")
    func inventoryAtReady() async throws {
        let (daemon, manifest, client) = try await startDaemonOnLab()
        // Asked immediately after READY=1: no waiting, no retries.
        let list = try await client.get("/v1/tokens", as: TokenListResponse.self)
        #expect(Set(list.tokens.map(\.label)) == Set(manifest.tokens.map(\.label)))
        for expected in manifest.tokens {
            let token = try #require(list.tokens.first { $0.label == expected.label })
            #expect(token.serialNumber == expected.serial)
            #expect(token.id.count == 16 && token.id.allSatisfy(\.isHexDigit))
            #expect(token.uri.hasPrefix("pkcs11:") && token.uri.contains("serial=\(expected.serial)"))
            #expect(token.pin.state == .ok)
            #expect(Set(token.certificates.map(\.sha256)) == Set(expected.certificates.map(\.sha256)))
            for certificate in token.certificates {
                let entry = try #require(expected.certificates.first { $0.sha256 == certificate.sha256 })
                #expect(certificate.objectId == entry.idHex)
                #expect(certificate.profile.taxCode?.value == entry.taxCode)
                #expect(certificate.profile.provider.isTest)
                #expect(certificate.privateKeyOnToken)
            }
            let single = try await client.get("/v1/tokens/\(token.id)", as: TokenInfoResponse.self)
            #expect(single.id == token.id && single.certificates.count == token.certificates.count)
        }
        let status = try await client.get("/v1/status", as: StatusResponse.self)
        #expect(status.tokenCount == manifest.tokens.count)
        #expect(status.modules.map(\.state) == [.loaded])
        #expect(status.modules.first?.watch == .polling)
        #expect(try await daemon.stop() == 0)
    }

    @Test("token ids stay the same across daemon restarts")
    func stableIDs() async throws {
        let (directory, _) = try await Lab.copy()
        let environment = ["SOFTHSM2_CONF": directory.appendingPathComponent("softhsm2.conf").path]
        let arguments = ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc"]
        var ids: [[String]] = []
        for _ in 0..<2 {
            let daemon = try await DaemonProcess(arguments: arguments, environment: environment)
            let list = try await KysoClient(socketPath: daemon.socketPath).get("/v1/tokens", as: TokenListResponse.self)
            ids.append(list.tokens.map(\.id).sorted())
            try await daemon.stop()
        }
        #expect(ids[0] == ids[1])
    }

    @Test("a certificate is found by fingerprint on every token that holds it, and two certificates of one token both show")
    func certificatesByFingerprint() async throws {
        let (directory, manifest) = try await Lab.copy()
        // Put a copy of the VNPT token's certificate on the FPT token as well, under another CKA_ID.
        let vnpt = try #require(manifest.tokens.first { $0.label == "kyso-vnpt" })
        let fpt = try #require(manifest.tokens.first { $0.label == "kyso-fpt" })
        let shared = try #require(vnpt.certificates.first)
        try Shell.run("pkcs11-tool", ["--module", Lab.softHSMModule, "--token-label", fpt.label, "--login", "--pin", fpt.pin,
                                      "--write-object", shared.path, "--type", "cert", "--id", "7f", "--label", "copy"],
                      environment: ["SOFTHSM2_CONF": directory.appendingPathComponent("softhsm2.conf").path])
        let daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc"],
            environment: ["SOFTHSM2_CONF": directory.appendingPathComponent("softhsm2.conf").path])
        let client = KysoClient(socketPath: daemon.socketPath)
        let certificate = try await client.get("/v1/certificates/\(shared.sha256)", as: CertificateResponse.self)
        #expect(Set(certificate.locations.map(\.tokenLabel)) == ["kyso-vnpt", "kyso-fpt"])
        #expect(certificate.locations.first { $0.tokenLabel == "kyso-fpt" }?.privateKeyOnToken == false)
        #expect(certificate.locations.first { $0.tokenLabel == "kyso-vnpt" }?.privateKeyOnToken == true)
        let two = try #require(manifest.tokens.first { $0.kind == "two-certs" })
        let tokens = try await client.get("/v1/tokens", as: TokenListResponse.self)
        #expect(tokens.tokens.first { $0.label == two.label }?.certificates.count == 2)
        let missing = try await client.request(.GET, "/v1/certificates/" + String(repeating: "0", count: 64))
        #expect(missing.status == 404)
        let malformed = try await client.request(.GET, "/v1/certificates/xyz")
        #expect(malformed.status == 400)
        try await daemon.stop()
    }

    @Test("a module that cannot load is reported in status and events; the daemon keeps serving")
    func moduleFailure() async throws {
        let (daemon, manifest, client) = try await startDaemonOnLab(extraArguments: ["--module", "/nonexistent/libvendor.so"])
        let status = try await client.get("/v1/status", as: StatusResponse.self)
        let failed = try #require(status.modules.first { $0.path == "/nonexistent/libvendor.so" })
        #expect(failed.state == .failed)
        #expect(failed.error?.contains("/nonexistent/libvendor.so") == true && failed.error?.contains("No such file") == true, "\(failed)")
        #expect(status.tokenCount == manifest.tokens.count)
        var events = client.events(lastEventID: 0).makeAsyncIterator()
        let first = try #require(try await events.next())
        #expect(first.event == "module.failed")
        #expect(first.data.contains("libvendor.so"))
        try await daemon.stop()
    }

    @Test("curl reaches every documented endpoint")
    func curlEveryEndpoint() async throws {
        let (daemon, manifest, client) = try await startDaemonOnLab()
        let token = try #require(try await client.get("/v1/tokens", as: TokenListResponse.self).tokens.first)
        let certificate = try #require(token.certificates.first)
        for path in ["/v1/status", "/v1/tokens", "/v1/tokens/\(token.id)", "/v1/certificates/\(certificate.sha256)", "/metrics"] {
            let (status, body) = try curl(daemon.socketPath, path)
            #expect(status == 200, "\(path): \(body)")
        }
        let metrics = try curl(daemon.socketPath, "/metrics").body
        #expect(metrics.contains("kysod_tokens \(manifest.tokens.count)"))
        #expect(metrics.contains("kysod_requests_total"))
        // The event stream: curl stops after its time limit, having printed the snapshot.
        let stream = String(decoding: (try? Shell.run("sh", ["-c", "curl -s -N --max-time 1 --unix-socket \(daemon.socketPath) http://localhost/v1/events; true"])) ?? Data(), as: UTF8.self)
        #expect(stream.contains("event: snapshot"))
        try await daemon.stop()
    }
}

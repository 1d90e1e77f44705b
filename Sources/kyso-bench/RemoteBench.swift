import Crypto
import Foundation
import KysoAPI
import KysoCore
import KysoRemote
import KysoTestSupport

/// A remote signature through kysod (`POST /v1/tokens/{id}/sign` on a credential of the CSC test service, over
/// kysod's socket) against the same two calls made directly with the CSC client (`credentials/authorize` with the
/// PIN, then `signatures/signHash`), on loopback with TLS: the difference is what kysod adds. The service signs
/// with pkcs11-tool on the lab's SoftHSM token, the same work on both sides.
struct RemoteBench {
    let context: BenchContext
    init(_ context: BenchContext) { self.context = context }

    struct Ready: Decodable {
        let port: Int
        let caFile: String
    }

    func run() async throws {
        print("== remote signing (CSC test service, loopback, TLS): kysod against direct authorize + signHash")
        let lab = context.lab.root.appendingPathComponent("master")
        let service = try ChildProcess(
            repositoryRoot.appendingPathComponent("Tools/csc-test-service/csc-test-service").path,
            ["--lab", lab.path, "--state", context.work.appendingPathComponent("csc").path, "--token", "kyso-vnpt", "--token", "kyso-ec-p256"],
            environment: ["SOFTHSM2_CONF": lab.appendingPathComponent("softhsm2.conf").path])
        do {
            let ready = try JSONDecoder().decode(Ready.self, from: Data(try await service.waitForLine(startingWith: #"{"port""#, timeout: .seconds(60)).utf8))
            try await measure(ready, lab: lab)
        } catch {
            try? await service.stop()
            throw error
        }
        try? await service.stop()
    }

    private func measure(_ ready: Ready, lab: URL) async throws {
        let report = context.report
        let base = "https://127.0.0.1:\(ready.port)/csc/v2"
        let user = "MST_0100000000-kyso", password = "kyso-test-password", pin = "123456"
        let configuration = """
            {"remoteServices": {"bench": {"baseURL": "\(base)", "version": "2", "login": "basic", "username": "\(user)",
             "caFile": "\(ready.caFile)", "refreshSeconds": 3600}}}
            """
        let daemon = try Daemon(.init(softhsmConf: lab.appendingPathComponent("softhsm2.conf").path, modules: [], configuration: configuration),
                                in: context.work, name: "remote")
        defer { daemon.stop() }
        let kyso = KysoClient(socketPath: daemon.socketPath)
        let secret = Array(try JSONEncoder().encode(RemoteSecretRequest(value: SecretBytes(password))))
        guard try await kyso.request(.PUT, "/v1/remote-services/bench/secrets/password", body: secret).status == 204 else {
            throw TestFailure("kysod refused the service password")
        }
        var direct = CSCServiceConfiguration(baseURL: base, version: .v2, login: .basic(username: user, password: password))
        direct.extraTrustRootsFile = ready.caFile
        let client = try CSCClient(configuration: direct)
        let credentials = try await client.credentials()
        let count = context.plan.quick ? 20 : 100

        for (label, algorithm) in [("RSA-2048", CSCSignatureAlgorithm.rsa), ("P-256", CSCSignatureAlgorithm.ecdsa)] {
            guard let credential = credentials.first(where: { $0.signatureAlgorithm == algorithm }) else { throw TestFailure("no \(label) credential") }
            let tokenId = RemoteKeyBackendID.tokenId(service: "bench", credentialID: credential.credentialID)
            let token = try await waitForToken(kyso, tokenId)
            let sha = token.certificates.first?.sha256
            var directTimes: [Double] = [], asyncTimes: [Double] = [], kysodTimes: [Double] = []
            // Alternate the two so drift in the service (pkcs11-tool, SoftHSM) hits both alike; the first two are warm-up.
            for round in 0..<(count + 2) {
                let digest = Array(SHA256.hash(data: Array("VNACCS remote bench \(label) \(round)".utf8)))
                var started = Clock.nanoseconds()
                let activation = try await client.authorize(credentialID: credential.credentialID, hashes: [digest], hashAlgorithm: .sha256,
                                                            pin: CSCSecret(utf8: pin))
                _ = try await client.signHash(activation: activation, hashes: [digest], hashAlgorithm: .sha256, signatureAlgorithm: algorithm)
                let directSeconds = Double(Clock.nanoseconds() - started) / 1e9
                // What kysod does on a v2 service: signHash in asynchronous mode ("A"), then signPolling, so that a
                // service wanting the holder's approval can say so. One more round trip when it does not.
                let third = Array(SHA256.hash(data: Array("VNACCS remote bench async \(label) \(round)".utf8)))
                started = Clock.nanoseconds()
                let asyncActivation = try await client.authorize(credentialID: credential.credentialID, hashes: [third], hashAlgorithm: .sha256,
                                                                 pin: CSCSecret(utf8: pin))
                _ = try await client.sign(activation: asyncActivation, hashes: [third], hashAlgorithm: .sha256, signatureAlgorithm: algorithm,
                                          approvalTimeout: .seconds(120))
                let asyncSeconds = Double(Clock.nanoseconds() - started) / 1e9
                let other = Array(SHA256.hash(data: Array("VNACCS remote bench kysod \(label) \(round)".utf8)))
                let body = Array(try JSONEncoder().encode(SignRequest(certificate: sha, digest: Data(other), output: .raw, pin: SecretBytes(pin))))
                started = Clock.nanoseconds()
                let answer = try await kyso.request(.POST, "/v1/tokens/\(tokenId)/sign", body: body)
                let kysodSeconds = Double(Clock.nanoseconds() - started) / 1e9
                guard answer.status == 200 else { throw TestFailure("kysod answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self))") }
                if round >= 2 {
                    directTimes.append(directSeconds)
                    asyncTimes.append(asyncSeconds)
                    kysodTimes.append(kysodSeconds)
                }
            }
            let (d50, a50, k50) = (Stats.median(directTimes), Stats.median(asyncTimes), Stats.median(kysodTimes))
            let (d95, a95, k95) = (Stats.percentile(directTimes, 0.95), Stats.percentile(asyncTimes, 0.95), Stats.percentile(kysodTimes, 0.95))
            report.add("remote", "remote \(label) signature, kysod vs direct authorize + signHash (\(count) each, sequential)",
                       kyso: "median \(ms(k50)), p95 \(ms(k95))",
                       peers: "direct synchronous median \(ms(d50)), p95 \(ms(d95)); direct as kysod asks (mode A + signPolling) median \(ms(a50)), p95 \(ms(a95))",
                       note: "kysod adds \(ms(k50 - d50)) over a synchronous signHash at the median, of which \(ms(a50 - d50)) is the signPolling round "
                           + "trip of v2's asynchronous mode and \(ms(k50 - a50)) kysod itself (socket, HTTP, plan, verification, audit)",
                       figures: ["kysodMedianSeconds": k50, "directMedianSeconds": d50, "directAsyncMedianSeconds": a50, "kysodP95Seconds": k95,
                                 "directP95Seconds": d95, "directAsyncP95Seconds": a95, "overheadMedianSeconds": k50 - d50,
                                 "kysodOwnMedianSeconds": k50 - a50])
        }
        await client.shutdown()
    }

    private func waitForToken(_ kyso: KysoClient, _ id: String) async throws -> TokenInfoResponse {
        let deadline = Clock.nanoseconds() + 30_000_000_000
        while Clock.nanoseconds() < deadline {
            if let token = try? await kyso.request(.GET, "/v1/tokens/\(id)").decode(TokenInfoResponse.self) { return token }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("kysod does not list remote credential \(id)")
    }
}

/// The token id kysod gives a remote credential (RemoteKeyBackend.tokenId), recomputed here so the benchmark needs
/// no daemon module.
enum RemoteKeyBackendID {
    static func tokenId(service: String, credentialID: String) -> String {
        "remote-" + Hex.lowercase(SHA256.hash(data: Array("\(service)\u{0}\(credentialID)".utf8))).prefix(16)
    }
}

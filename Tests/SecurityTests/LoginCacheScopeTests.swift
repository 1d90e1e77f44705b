import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Item 6 of the hardening review: with `loginCacheSeconds` set, after root signed with the right PIN, another
/// user's requests with a wrong PIN, and then with none, were signed from root's cached login.
@Suite("a cached login serves only its own uid and the right PIN", .enabled(if: getuid() == 0, "needs root for useradd and setpriv"))
struct LoginCacheScopeTests {
    @Test("root's cached login: root with a wrong PIN is refused without a try; another uid needs its own right PIN",
          .timeLimit(.minutes(2)))
    func cachedLoginScope() async throws {
        let user = try LocalUser()
        let (daemon, manifest, client) = try await SecurityLab.daemon(configuration: """
            {"group": "nogroup", "loginCacheSeconds": 300, "access": {"sign": {"users": ["\(user.name)"]}}}
            """)
        let pin = try #require(manifest.tokens.first { $0.label == "kyso-vnpt" }?.pin)
        let token = try await SecurityLab.token("kyso-vnpt", client: client)

        func rootSigns(_ pin: String?) async throws -> (status: Int, body: SignResponse?, problem: ProblemDetails?) {
            let body = try APIJSON.encoder().encode(SignRequest(certificate: token.certificate, data: Data("root".utf8), pin: pin.map { SecretBytes($0) }))
            let answer = try await client.request(.POST, "/v1/tokens/\(token.id)/sign", body: Array(body))
            return (answer.status, try? answer.decode(SignResponse.self), try? APIJSON.decoder().decode(ProblemDetails.self, from: Data(answer.body)))
        }
        func userSigns(_ pin: String?) throws -> (status: Int, body: String) {
            let body = String(decoding: try APIJSON.encoder().encode(SignRequest(certificate: token.certificate, data: Data("user".utf8), pin: pin.map { SecretBytes($0) })),
                              as: UTF8.self)
            return try SecurityLab.request(as: user.uid, gid: 65534, socket: daemon.socketPath, method: "POST",
                                           path: "/v1/tokens/\(token.id)/sign", body: body)
        }
        func pinState() async throws -> PINStatus {
            try await client.request(.GET, "/v1/tokens/\(token.id)").decode(TokenInfoResponse.self).pin
        }

        let first = try await rootSigns(pin)
        #expect(first.status == 200 && first.body?.cachedLogin == false)
        #expect(try await rootSigns(nil).body?.cachedLogin == true, "the owner is served from its cached login")
        let before = try await pinState()

        // A wrong PIN with a cached login is checked, not ignored, and the token is not asked.
        let wrong = try await rootSigns("999999")
        #expect(wrong.status == 401 && wrong.problem?.code == "pin-incorrect", "a wrong PIN was signed with: \(wrong.status)")
        #expect(try await pinState() == before, "checking the PIN against the cached login spent a try")
        #expect(try await rootSigns(pin).body?.cachedLogin == true, "the right PIN is served from the cached login")

        // Another uid is not served from root's login, with no PIN or a wrong one.
        let none = try userSigns(nil)
        #expect(none.status == 401 && none.body.contains("pin-required"), "another uid was signed for without a PIN: \(none)")
        let guessed = try userSigns("999999")
        #expect(guessed.status == 401 && guessed.body.contains("pin-incorrect"), "another uid was signed for with a wrong PIN: \(guessed)")
        // With its own right PIN it logs in itself, and the cached login is now its own, not root's.
        let own = try userSigns(pin)
        #expect(own.status == 200 && own.body.contains(#""cachedLogin":false"#), "\(own)")
        let cached = try userSigns(nil)
        #expect(cached.status == 200 && cached.body.contains(#""cachedLogin":true"#), "\(cached)")
        #expect(try await rootSigns(nil).problem?.code == "pin-required", "root was served from the other uid's login")
        try await daemon.stop()
    }
}

import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
import KysoText
import Testing

/// Issue 14, item 3: kysod words problem details, PIN states and certificate warnings in the language of
/// Accept-Language (English without it); codes, statuses and field names stay the same; every answer still
/// matches openapi.yaml.
@Suite("kysod answers in the language asked for (issue 14)", .serialized)
struct AcceptLanguageTests {
    static let vi = Messages.forLanguage(.vi)
    static let en = Messages.forLanguage(.en)

    @Test("every problem code has a title and a detail in both languages")
    func everyCodeIsInTheCatalog() {
        for code in ProblemCode.allCases {
            for key in ["problem.title.\(code.rawValue)", "problem.detail.\(code.rawValue)"] {
                #expect(Self.en.template(key) != nil && Self.vi.template(key) != nil, "\(key) missing")
            }
        }
    }

    @Test("a problem in Vietnamese with Accept-Language: vi, in English without; both as the document says", .timeLimit(.minutes(3)))
    func problemDetails() async throws {
        let (daemon, _, client) = try await startDaemonOnLab()
        let missing = "0000000000000000"
        let asked = Exchange(.GET, "/v1/tokens/\(missing)", template: "/v1/tokens/{id}", expect: 404, headers: [("accept-language", "vi-VN,vi;q=0.9,en;q=0.5")])
        let vietnamese = try #require(try await OpenAPIContractTests.send(asked, to: client).decodeProblem())
        #expect(vietnamese.code == "not-found" && vietnamese.status == 404)
        #expect(vietnamese.detail == Self.vi("problem.tokenNotFound", ["id": missing]))
        #expect(vietnamese.title == Self.vi("problem.title.not-found"))

        let plain = Exchange(.GET, "/v1/tokens/\(missing)", template: "/v1/tokens/{id}", expect: 404)
        let english = try #require(try await OpenAPIContractTests.send(plain, to: client).decodeProblem())
        #expect(english.code == vietnamese.code && english.status == vietnamese.status && english.type == vietnamese.type)
        #expect(english.detail == "no token with id \(missing) is present" && english.title == "Not found")
        // A language kysod does not have is English.
        let french = Exchange(.GET, "/v1/tokens/\(missing)", template: "/v1/tokens/{id}", expect: 404, headers: [("accept-language", "fr")])
        #expect(try await OpenAPIContractTests.send(french, to: client).decodeProblem()?.detail == english.detail)

        // A failure without a message of its own gets its code's text; the English stays the service's.
        let badBody = Exchange(.POST, "/v1/registrations", template: "/v1/registrations", expect: 400, body: Array("{}".utf8),
                               headers: [("accept-language", "vi")])
        let bad = try #require(try await OpenAPIContractTests.send(badBody, to: client).decodeProblem())
        #expect(bad.detail == Self.vi("problem.detail.bad-request") && bad.title == Self.vi("problem.title.bad-request"), "\(bad)")
        // Problems outside any operation (405) too.
        let method = Exchange(.DELETE, "/v1/tokens", component: "MethodNotAllowed", expect: 405, headers: [("accept-language", "vi")])
        #expect(try await OpenAPIContractTests.send(method, to: client).decodeProblem()?.detail == Self.vi("problem.methodNotAllowed", ["method": "DELETE"]))
        try await daemon.stop()
    }

    @Test("pinWords and certificate warnings follow Accept-Language; the cached English list is not served for vi", .timeLimit(.minutes(3)))
    func wordsInTokens() async throws {
        let (daemon, _, client) = try await startDaemonOnLab()
        // English first, so the token list cache holds the English encoding.
        let english = try await OpenAPIContractTests.send(Exchange(.GET, "/v1/tokens", template: "/v1/tokens", expect: 200), to: client)
            .decode(TokenListResponse.self)
        let asked = Exchange(.GET, "/v1/tokens", template: "/v1/tokens", expect: 200, headers: [("accept-language", "vi")])
        let vietnamese = try await OpenAPIContractTests.send(asked, to: client).decode(TokenListResponse.self)
        #expect(vietnamese.tokens.count == english.tokens.count && !english.tokens.isEmpty)
        for (vi, en) in zip(vietnamese.tokens, english.tokens) {
            #expect(vi.pin == en.pin && vi.id == en.id)
            #expect(en.pinWords == en.pin.words && vi.pinWords == en.pin.words(Self.vi) && vi.pinWords != en.pinWords, "\(vi.pinWords)")
        }
        let token = try #require(vietnamese.tokens.first)
        let one = Exchange(.GET, "/v1/tokens/\(token.id)", template: "/v1/tokens/{id}", expect: 200, headers: [("accept-language", "vi")])
        #expect(try await OpenAPIContractTests.send(one, to: client).decode(TokenInfoResponse.self).pinWords == token.pin.words(Self.vi))
        try await daemon.stop()
    }
}

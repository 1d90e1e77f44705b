import Foundation
@testable import KysoRemote
import Testing

/// Pure checks of the wire format: error mapping and the PIN spliced into a request as bytes.
@Suite("CSC wire format")
struct CSCWireTests {
    static func body(_ json: String) -> CSCErrorBody? {
        try? JSONDecoder().decode(CSCErrorBody.self, from: Data(json.utf8))
    }

    @Test("the specification's error answers map to typed errors")
    func errors() {
        let cases: [(Int, String, CSCError)] = [
            (400, #"{"error":"invalid_pin","error_description":"The PIN is invalid","remainingAttempts":1}"#, .invalidPIN(remainingAttempts: 1)),
            (400, #"{"error":"invalid_otp","error_description":"The OTP is invalid"}"#, .invalidOTP(remainingAttempts: nil)),
            (400, #"{"error":"invalid_request","error_description":"SAD expired"}"#, .sadExpired),
            (400, #"{"error":"invalid_request","error_description":"Invalid parameter SAD"}"#, .sadInvalid),
            (400, #"{"error":"invalid_request","error_description":"PIN locked"}"#, .pinLocked),
            (400, #"{"error":"invalid_request","error_description":"Hash is not authorized by the SAD."}"#, .hashNotAuthorized),
            (400, #"{"error":"invalid_request","error_description":"Invalid parameter credentialID"}"#, .credentialUnknown),
            (401, #"{"error":"expired_token","error_description":"x"}"#, .accessTokenRejected("x")),
            (400, #"{"error":"access_denied","error_description":"no"}"#, .accessDenied("no")),
            (501, #"{"error":"not_implemented_method"}"#, .unsupported("m")),
        ]
        for (status, json, expected) in cases {
            #expect(CSCError.from(status: status, body: Self.body(json), method: "m") == expected)
        }
        #expect(CSCError.from(status: 404, body: nil, method: "m") == .unsupported("m"))
        #expect(Self.body(#"{"error":"invalid_request","error_description":"The previous asynchronous signature request has been accepted for processing, but the processing has not yet been completed."}"#)?.isPending == true)
    }

    @Test("PIN and OTP spliced as bytes give valid JSON in both versions, escaped, and are used once")
    func splice() throws {
        let object = Array(#"{"credentialID":"c1","numSignatures":1}"#.utf8)
        let tricky = "12\"3\\4"
        let v1 = try CSCClient.withSecrets(object, version: .v1, pin: CSCSecret(utf8: tricky), otp: CSCSecret(utf8: "999"))
        let one = try #require(try JSONSerialization.jsonObject(with: Data(v1)) as? [String: Any])
        #expect(one["PIN"] as? String == tricky)
        #expect(one["OTP"] as? String == "999")
        #expect(one["credentialID"] as? String == "c1")

        let pin = CSCSecret(utf8: "123456")
        let v2 = try CSCClient.withSecrets(object, version: .v2, pin: pin, otp: CSCSecret(utf8: "42"))
        let two = try #require(try JSONSerialization.jsonObject(with: Data(v2)) as? [String: Any])
        let authData = try #require(two["authData"] as? [[String: String]])
        #expect(authData == [["id": "PIN", "value": "123456"], ["id": "OTP", "value": "42"]])
        #expect(throws: CSCError.secretAlreadyUsed) {
            _ = try CSCClient.withSecrets(object, version: .v2, pin: pin, otp: nil)
        }
        let none = try CSCClient.withSecrets(object, version: .v2, pin: nil, otp: nil)
        #expect(none == object)
        #expect("\(pin)" == "CSCSecret(redacted)")
    }

    @Test("methods become URLs under the API root, with a service's own paths where configured")
    func endpoints() throws {
        var configuration = CSCServiceConfiguration(
            baseURL: "https://gateway.example/csc/", version: .v1, login: .basic(username: "u", password: "p"))
        configuration.methodPaths = ["signatures/signHash": "signature/signhash"]
        let client = try CSCClient(configuration: configuration)
        #expect(client.endpoint("credentials/list") == "https://gateway.example/csc/credentials/list")
        #expect(client.endpoint("signatures/signHash") == "https://gateway.example/csc/signature/signhash")
        #expect(!"\(configuration)".contains("p)"))
        #expect("\(configuration)" == "CSC 1.0.4.0 at https://gateway.example/csc (auth/login as u)")
    }
}

import Foundation

/// What `signatures/signHash` answered: the signatures, or (v2 asynchronous) a request the holder must approve.
public enum CSCSignatureOutcome: Sendable, Hashable {
    case signed([[UInt8]])
    case awaitingApproval(responseID: String)
}

extension CSCClient {
    /// `signatures/signHash`, synchronous: the signatures, one per hash, in order.
    ///
    /// Never repeated: a lost answer may mean the service signed, and a second call would sign again. A service
    /// that holds a synchronous call until the holder approves is bounded by the request timeout.
    public func signHash(
        activation: CSCSignatureActivation, hashes: [[UInt8]], hashAlgorithm: CSCHashAlgorithm,
        signatureAlgorithm: CSCSignatureAlgorithm
    ) async throws -> [[UInt8]] {
        let outcome = try await requestSignatures(
            activation: activation, hashes: hashes, hashAlgorithm: hashAlgorithm, signatureAlgorithm: signatureAlgorithm,
            asynchronous: false)
        guard case .signed(let signatures) = outcome else {
            throw CSCError.malformedResponse(method: "signatures/signHash", reason: "a responseID for a synchronous request")
        }
        return signatures
    }

    /// `signatures/signHash`; with `asynchronous` (v2 only) the service may answer a `responseID` to poll while
    /// the holder approves on their phone.
    public func requestSignatures(
        activation: CSCSignatureActivation, hashes: [[UInt8]], hashAlgorithm: CSCHashAlgorithm,
        signatureAlgorithm: CSCSignatureAlgorithm, asynchronous: Bool, validity: Duration? = nil
    ) async throws -> CSCSignatureOutcome {
        try Self.check(hashes: hashes, algorithm: hashAlgorithm)
        guard !activation.isExpired else { throw CSCError.sadExpired }
        let encoded = hashes.map { Data($0).base64EncodedString() }
        let body: Data
        switch configuration.version {
        case .v1:
            body = try JSONEncoder().encode(CSCSignHashRequestV1(
                credentialID: activation.credentialID, SAD: activation.sad, hash: encoded,
                hashAlgo: hashAlgorithm.oid, signAlgo: signatureAlgorithm.oid))
        case .v2:
            body = try JSONEncoder().encode(CSCSignHashRequestV2(
                credentialID: activation.credentialID, SAD: activation.sad, hashes: encoded,
                hashAlgorithmOID: hashAlgorithm.oid, signAlgo: signatureAlgorithm.oid,
                operationMode: asynchronous ? "A" : "S",
                validityPeriod: asynchronous ? validity.map { Int($0.components.seconds * 1000) } : nil))
        }
        let method = "signatures/signHash"
        let answer: CSCSignHashResponse = try Self.decode(
            try await send(method, body: Array(body), repeatable: false), method: method)
        if let signatures = answer.signatures {
            return .signed(try Self.signatures(signatures, expected: hashes.count, method: method))
        }
        if let responseID = answer.responseID, configuration.version == .v2 {
            return .awaitingApproval(responseID: responseID)
        }
        throw CSCError.malformedResponse(method: method, reason: "neither signatures nor responseID")
    }

    /// `signatures/signPolling` until the holder decides or `deadline` passes. Polling only reads the outcome, so
    /// a lost answer is asked again; the service signs at most once per request. Cancelling the task stops it.
    public func pollSignatures(responseID: String, expected: Int, deadline: ContinuousClock.Instant) async throws -> [[UInt8]] {
        let method = "signatures/signPolling"
        let body = Array(try JSONEncoder().encode(CSCPollingRequest(responseID: responseID)))
        while true {
            let answer = try await exchange(method, body: body, repeatable: true)
            if (200..<300).contains(answer.status) {
                let decoded: CSCSignHashResponse = try Self.decode(answer.body, method: method)
                guard let signatures = decoded.signatures else {
                    throw CSCError.malformedResponse(method: method, reason: "no signatures")
                }
                return try Self.signatures(signatures, expected: expected, method: method)
            }
            let error = Self.errorBody(answer)
            guard answer.status == 400, error?.isPending == true else {
                throw CSCError.from(status: answer.status, body: error, method: method)
            }
            guard ContinuousClock.now + configuration.approvalPollInterval < deadline else {
                throw CSCError.approvalTimedOut
            }
            do {
                try await Task.sleep(for: configuration.approvalPollInterval)
            } catch {
                throw CSCError.cancelled
            }
        }
    }

    /// Signs `hashes` with an authorised credential, waiting up to `approvalTimeout` for the holder when the service
    /// asks for approval; `awaitingApproval` is called once when it does (to tell the user "approve on your phone").
    public func sign(
        activation: CSCSignatureActivation, hashes: [[UInt8]], hashAlgorithm: CSCHashAlgorithm,
        signatureAlgorithm: CSCSignatureAlgorithm, approvalTimeout: Duration,
        awaitingApproval: @Sendable (String) -> Void = { _ in }
    ) async throws -> [[UInt8]] {
        let deadline = ContinuousClock.now + approvalTimeout
        let outcome = try await requestSignatures(
            activation: activation, hashes: hashes, hashAlgorithm: hashAlgorithm, signatureAlgorithm: signatureAlgorithm,
            asynchronous: configuration.version.supportsAsynchronousSignatures,
            // The service keeps the request a little longer than Kyso waits, so it is Kyso's deadline that ends the
            // wait (approvalTimedOut) rather than the service forgetting the request a moment before.
            validity: approvalTimeout + .seconds(5))
        switch outcome {
        case .signed(let signatures):
            return signatures
        case .awaitingApproval(let responseID):
            awaitingApproval(responseID)
            return try await pollSignatures(responseID: responseID, expected: hashes.count, deadline: deadline)
        }
    }

    static func signatures(_ encoded: [String], expected: Int, method: String) throws -> [[UInt8]] {
        guard encoded.count == expected else {
            throw CSCError.malformedResponse(method: method, reason: "\(encoded.count) signatures for \(expected) hashes")
        }
        return try encoded.map { text in
            guard let data = Data(base64Encoded: text), !data.isEmpty else {
                throw CSCError.malformedResponse(method: method, reason: "a signature is not base64")
            }
            return Array(data)
        }
    }
}

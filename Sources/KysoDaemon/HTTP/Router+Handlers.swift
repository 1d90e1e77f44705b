import KysoText
import Foundation
import KysoAPI
import KysoCore
import NIOHTTP1

/// One handler per endpoint: the wire request read into a domain command, the service asked, its result or
/// failure written back. Nothing here decides anything the services decide.
extension Router {
    func handle(_ endpoint: Endpoint, _ request: APIRequest, parameters: [String]) async -> APIResponse {
        let peer = request.peer
        switch endpoint {
        case .sign:
            let order: SignatureOrder
            switch Self.signatureOrder(tokenId: parameters[0], body: request.body, caller: peer.uid) {
            case .failure(let failure):
                // A sign request refused here (unknown mechanism or output, no data or both) is audited like one the
                // signer refuses; a body that is not a sign request at all is not.
                if let view = try? Self.decodeInPlace(SignRequestAuditView.self, from: request.body) {
                    _ = await signatureAudit.record(accounts.refusedSignatureEntry(tokenId: parameters[0], view, failure: failure, caller: peer))
                }
                return .problem(failure)
            case .success(let made): order = made
            }
            let result = await signer.sign(order)
            let recorded = await signatureAudit.record(accounts.signatureAuditEntry(order, result: result, caller: peer))
            switch result {
            case .success(let signature): return recorded ? .json(SignResponse(signature)) : .problem(AuditJournal.unavailable)
            case .failure(let failure): return .problem(failure)
            }
        case .register:
            let body: RegistrationRequest
            do {
                body = try Self.decodeInPlace(RegistrationRequest.self, from: request.body)
            } catch let unknown as UnknownWireValue {
                do throws(AccountFieldError) { _ = try AccountRole(text: unknown.value) } catch { return .problem(AccountProblems.field(error)) }
                return .problem(.badRequest("the body must be a JSON registration request"))
            } catch {
                return .problem(.badRequest("the body must be a JSON registration request"))
            }
            return .result(await accounts.register(RegistrationOrder(body, caller: peer.uid), caller: peer))
        case .listBindings:
            return .json(BindingListResponse(bindings: accounts.list()))
        case .bind, .rebind:
            let body: BindingCreateRequest
            do {
                body = try Self.decodeInPlace(BindingCreateRequest.self, from: request.body)
            } catch is UnknownWireValue {
                return .problem(.badRequest("sealing is auto, token or host"))
            } catch {
                return .problem(.badRequest("the body must be a JSON binding request (statement and signature in base64)"))
            }
            let order = BindingOrder(body, caller: peer.uid)
            if endpoint == .rebind { return .result(await accounts.bind(order, replacing: parameters[0], caller: peer)) }
            return .result(await accounts.bind(order, caller: peer), status: .created)
        case .bindingInfo:
            guard let info = accounts.info(account: parameters[0]) else { return .problem(Problems.notBound(parameters[0])) }
            return .json(info)
        case .unbind:
            switch await accounts.unbind(account: parameters[0], caller: peer) {
            case .success: return .noContent
            case .failure(let failure): return .problem(failure)
            }
        case .revealHostSecret:
            let none = KeyAuthorization(caller: peer.uid, pin: nil, allowFinalTry: false)
            return .result(await accounts.reveal(account: parameters[0], kind: parameters[1], authorization: none, caller: peer))
        case .revealTokenSecret:
            let body = request.body.isEmpty ? SecretRevealRequest() : decode(SecretRevealRequest.self, from: request.body)
            guard let body else { return .problem(.badRequest("the body must be JSON: {\"pin\": …}")) }
            let authorization = KeyAuthorization(caller: peer.uid, pin: body.pin, allowFinalTry: body.allowFinalTry ?? false)
            return .result(await accounts.reveal(account: parameters[0], kind: parameters[1], authorization: authorization, caller: peer))
        case .storeSecret, .backup, .restore:
            return await handleAdministration(endpoint, request, parameters: parameters)
        case .audit:
            let limit = query(request.path, "limit").flatMap(Int.init) ?? 100
            // Every signature answered so far is in the log before it is read.
            await signatureAudit.flush()
            return .result(await accounts.auditLog(limit: limit))
        case .logoutToken:
            guard inventory.token(id: parameters[0]) != nil else { return .problem(Problems.noSuchToken(parameters[0])) }
            signer.dropLogins(tokenId: parameters[0])
            return .noContent
        case .logoutAll:
            signer.dropLogins()
            return .noContent
        case .status:
            var status = inventory.status(version: version)
            status.audit = accounts.auditStatus
            guard let bytes = statusCache.bytes(for: status) else { return .json(status) }
            return .body(status: .ok, contentType: "application/json", bytes: bytes)
        case .tokens:
            // Read the version before the tokens: a change in between only makes the cache miss next time.
            let version = inventory.lastEventID
            // The cache holds the English list (the default); other languages are encoded for their request.
            guard ResponseLanguage.current == .en else { return .json(TokenListResponse(tokens: inventory.tokens)) }
            if let bytes = tokenListCache.bytes(for: version) {
                return .body(status: .ok, contentType: "application/json", bytes: bytes)
            }
            let response = APIResponse.json(TokenListResponse(tokens: inventory.tokens))
            if case .body(.ok, _, let bytes, _) = response { tokenListCache.store(bytes, for: version) }
            return response
        case .token:
            guard let token = inventory.token(id: parameters[0]) else { return .problem(Problems.noSuchToken(parameters[0])) }
            return .json(token)
        case .certificate:
            let fingerprint = parameters[0].lowercased()
            guard fingerprint.count == 64, fingerprint.allSatisfy(\.isHexDigit) else {
                return .problem(.badRequest("a certificate is named by its SHA-256 fingerprint: 64 hex digits"))
            }
            guard let certificate = inventory.certificate(sha256: fingerprint) else {
                return .problem(Problems.notFound("no present token holds certificate \(fingerprint)"))
            }
            return .json(certificate)
        case .events:
            let header = request.headers.first(name: "last-event-id")
            if let header, UInt64(header.trimmingCharacters(in: .whitespaces)) == nil {
                return .problem(.badRequest("Last-Event-ID must be an event id (a number)"))
            }
            return .events(lastEventID: header.flatMap { UInt64($0.trimmingCharacters(in: .whitespaces)) })
        case .metrics:
            return .body(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", bytes: metrics.exposition(inventory: inventory))
        case .sendOTP, .setRemoteSecret, .revealRemoteSecret:
            return await handleRemote(endpoint, request, parameters: parameters)
        }
    }

    /// The sign endpoint's body as a signature order: a mechanism or output the API does not know is named as such.
    static func signatureOrder(tokenId: String, body: [UInt8], caller: UInt32) -> Result<SignatureOrder, OperationFailure> {
        let request: SignRequest
        do {
            request = try Self.decodeInPlace(SignRequest.self, from: body)
        } catch let unknown as UnknownWireValue where unknown.field == "mechanism" {
            return .failure(SigningProblems.unknownMechanism(unknown.value))
        } catch let unknown as UnknownWireValue where unknown.field == "output" {
            return .failure(.badRequest("output must be raw or cms"))
        } catch {
            return .failure(.badRequest("the body must be a JSON sign request (base64 for bytes)"))
        }
        if let origin = request.origin {
            do throws(BrowserOrigin.Refusal) { _ = try BrowserOrigin(origin) } catch { return .failure(.badRequest("origin: \(error)")) }
        }
        let content: SignatureOrder.Content
        switch (request.data, request.digest) {
        case (let data?, nil): content = .data(Array(data))
        case (nil, let digest?): content = .digest(Array(digest))
        default: return .failure(.badRequest("send exactly one of data and digest (base64)"))
        }
        return .success(SignatureOrder(
            tokenId: tokenId, certificate: request.certificate, content: content, mechanism: request.mechanism,
            output: request.output ?? .raw,
            authorization: KeyAuthorization(caller: caller, pin: request.pin, allowFinalTry: request.allowFinalTry ?? false, otp: request.otp),
            origin: request.origin))
    }

    private func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) -> T? {
        try? Self.decodeInPlace(type, from: body)
    }

    /// Decodes JSON from the request body where it lies: a `Data` copy of a body that carries a PIN would be one
    /// more copy nobody wipes (the body itself is wiped once answered).
    static func decodeInPlace<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws -> T {
        try body.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return try APIJSON.decoder().decode(type, from: Data()) }
            let view = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: bytes.count, deallocator: .none)
            return try APIJSON.decoder().decode(type, from: view)
        }
    }

    /// One query parameter of the request target (`/v1/audit?limit=20`).
    private func query(_ target: String, _ name: String) -> String? {
        guard let query = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.first.map(String.init) == name { return parts.count > 1 ? String(parts[1]).removingPercentEncoding : "" }
        }
        return nil
    }
}

extension SignResponse {
    init(_ signature: Signature) {
        self.init(tokenId: signature.tokenId, certificate: signature.certificateSHA256, mechanism: signature.mechanism, output: signature.output,
                  signature: Data(signature.bytes), pin: signature.pin, warning: signature.warning, cachedLogin: signature.cachedLogin)
    }
}

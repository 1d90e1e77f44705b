import ArgumentParser
import Foundation
import KysoAPI
import KysoCore

/// `kyso register`: a registration statement signed on the token, the proof that a certificate's key is the registrant's.
struct RegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register", abstract: "Sign a registration statement for a customs account on the token.",
        discussion: """
            kysod builds the canonical statement (the certificate's serial number, issuer, provider, tax code and \
            validity, the account fields, your challenge or a fresh nonce, and the time), signs it on the token as a \
            detached CMS over the registration context ("kyso-registration-v1" and a NUL byte) followed by the \
            statement, and checks the signature. Pass the result to `kyso bind` on this machine within the statement \
            age limit (default 15 minutes); a statement binds once. \
            With --out DIR it writes DIR/statement.json (the statement, exactly as signed after the context), \
            DIR/signature.der (the CMS) and \
            DIR/certificate.der; without it prints the daemon's JSON (bytes in base64). \
            The PIN is asked without echo, or read from --pin-fd / --pin-stdin; never from the command line. \
            Exit status: 0 signed, 1 refused (bad field, wrong PIN, certificate not present or not valid), \
            64 usage error, 69 kysod not running, 77 access refused (needs the sign capability).
            """)

    @OptionGroup var connection: DaemonConnection
    @OptionGroup var pinInput: PINInput
    @OptionGroup var otpInput: OTPInput

    @Argument(help: ArgumentHelp("admin (the business's administration account) or declarant.", valueName: "ROLE"))
    var role: AccountRole

    @Option(name: .customLong("tax-code"), help: "The account's tax code (MST); the certificate's must be it or a branch of it.")
    var taxCode: String

    @Option(name: .customLong("user-id"), help: "Declarant only: the User ID, 8 letters or digits (the first 5 are the unit code).")
    var userId: String?

    @Option(name: .customLong("terminal-id"), help: "Declarant only: the Terminal ID, exactly 6 letters or digits.")
    var terminalId: String?

    @Option(help: ArgumentHelp(
        "The certificate to register: its serial number (as the CA and customs show it), SHA-256 or 8+ hex digits of it, or its token's id, serial or label (see `kyso tokens`).",
        valueName: "NAME"))
    var certificate: String

    @Option(name: .customLong("challenge-file"), help: ArgumentHelp(
        "Put this file's bytes (1 to 1024) in the statement as the challenge; without it kysod uses a fresh random nonce.",
        valueName: "PATH"))
    var challengeFile: String?


    @Option(help: ArgumentHelp("Write statement.json, signature.der and certificate.der into this folder (created if missing).", valueName: "DIR"))
    var out: String?

    func run() async throws {
        var challenge: Data?
        if let challengeFile {
            do {
                challenge = try Data(contentsOf: URL(fileURLWithPath: challengeFile))
            } catch {
                throw ValidationError("cannot read \(challengeFile): \(error.localizedDescription)")
            }
        }
        let chosen = try await CertificateName.resolve(certificate, client: connection.client)
        let problems = RegistrationPrecheck.problems(role: role, taxCode: taxCode, userId: userId, terminalId: terminalId,
                                                     certificate: chosen.profile)
        if !problems.isEmpty {
            Output.error("kyso: not registered (no PIN was asked, nothing was signed):\n" + problems.map { "  - \(TerminalText.field($0))" }.joined(separator: "\n"))
            throw ExitCode.failure
        }
        let pin = try pinInput.read(prompt: chosen.tokenId.isEmpty ? await TokenNaming.prompt(certificate: chosen.sha256, client: connection.client)
                                                                   : TokenNaming.prompt(label: chosen.tokenLabel, id: chosen.tokenId))
        // A remote credential may need a one-time password, and its holder's approval on the phone.
        let token = chosen.tokenId.isEmpty ? nil : try? await connection.client.request(.GET, "/v1/tokens/\(chosen.tokenId)").decode(TokenInfoResponse.self)
        let registered: RegistrationResponse
        do {
            let otp = try await otpInput.read(for: token, client: connection.client)
            let request = RegistrationRequest(role: role, taxCode: taxCode, userId: userId, terminalId: terminalId, challenge: challenge,
                                              certificate: chosen.sha256, pin: pin, allowFinalTry: pinInput.allowFinalTry, otp: otp)
            let body = Array(try APIJSON.encoder().encode(request))
            registered = try await ApprovalNotice.whileSigning(token, client: connection.client) {
                try await connection.client.request(.POST, "/v1/registrations", body: body).decode(RegistrationResponse.self)
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ClientExit.fail(error)
        }
        guard let out else {
            Output.line(String(decoding: try APIJSON.encoder(pretty: true).encode(registered), as: UTF8.self))
            return
        }
        let folder = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, bytes) in [("statement.json", registered.statement), ("signature.der", registered.signature),
                              ("certificate.der", registered.certificate)] {
            try bytes.write(to: folder.appendingPathComponent(name), options: .atomic)
        }
        // An account bound already (to the certificate this one renews) moves with rebind, not bind.
        let account = role == .declarant ? (userId ?? "") : taxCode
        let existing = try? await connection.client.request(.GET, "/v1/bindings/\(AccountPath.segment(account))").decode(BindingInfo.self)
        let next = existing.map { "rebind with: kyso rebind \($0.account) " } ?? "bind with: kyso bind "
        Output.errorText("""
            signed on token \(TerminalText.field(registered.tokenId)) with certificate \(TerminalText.field(registered.certificateSha256))
            → \(folder.path)/statement.json, signature.der, certificate.der; \(next)\(folder.path)/statement.json \(folder.path)/signature.der

            """)
        if registered.warnings?.contains("unknown-ca") == true {
            Output.error("warning: the certificate's issuer is not a known licensed CA (unknown-ca)")
        }
    }
}

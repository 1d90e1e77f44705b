import ArgumentParser
import Foundation
import KysoText
import KysoAPI
import KysoCore

/// `kyso register`: a registration statement signed on the token, the proof that a certificate's key is the registrant's.
struct RegisterCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "register", abstract: tr("register.abstract"), discussion: tr("register.discussion"))
    }

    @OptionGroup var connection: DaemonConnection
    @OptionGroup var pinInput: PINInput
    @OptionGroup var otpInput: OTPInput

    @Argument(help: ArgumentHelp(tr("register.role.help"), valueName: "ROLE"))
    var role: AccountRole

    @Option(name: .customLong("tax-code"), help: ArgumentHelp(tr("register.taxCode.help")))
    var taxCode: String

    @Option(name: .customLong("user-id"), help: ArgumentHelp(tr("register.userId.help")))
    var userId: String?

    @Option(name: .customLong("terminal-id"), help: ArgumentHelp(tr("register.terminalId.help")))
    var terminalId: String?

    @Option(help: ArgumentHelp(tr("register.certificate.help"), valueName: "NAME"))
    var certificate: String

    @Option(name: .customLong("challenge-file"), help: ArgumentHelp(tr("register.challenge.help"), valueName: "PATH"))
    var challengeFile: String?


    @Option(help: ArgumentHelp(tr("register.out.help"), valueName: "DIR"))
    var out: String?

    func run() async throws {
        var challenge: Data?
        if let challengeFile {
            do {
                challenge = try Data(contentsOf: URL(fileURLWithPath: challengeFile))
            } catch {
                throw ValidationError(tr("file.cannotRead", ["path": challengeFile, "reason": error.localizedDescription]))
            }
        }
        let chosen = try await CertificateName.resolve(certificate, client: connection.client)
        let problems = RegistrationPrecheck.problems(role: role, taxCode: taxCode, userId: userId, terminalId: terminalId,
                                                     certificate: chosen.profile)
        if !problems.isEmpty {
            Output.error(tr("register.precheckFailed") + "\n" + problems.map { "  - \(TerminalText.field($0))" }.joined(separator: "\n"))
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
        let files = ["token": TerminalText.field(registered.tokenId), "certificate": TerminalText.field(registered.certificateSha256),
                     "folder": folder.path, "account": existing?.account ?? ""]
        Output.errorText(tr(existing == nil ? "register.done.bind" : "register.done.rebind", files) + "\n")
        if registered.warnings?.contains("unknown-ca") == true { Output.error(tr("warning.unknownCA")) }
    }
}

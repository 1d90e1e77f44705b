import ArgumentParser
import Foundation
import KysoAPI
import KysoCore
import KysoText

/// The files `kyso register --out` writes, as `kyso bind` and `kyso rebind` read them.
struct SignedStatementFiles: ParsableArguments {
    @Argument(help: ArgumentHelp(tr("bind.statement.help"), valueName: "STATEMENT"))
    var statement: String

    @Argument(help: ArgumentHelp(tr("bind.signature.help"), valueName: "SIGNATURE"))
    var signature: String

    @OptionGroup var secrets: SecretInput

    @Option(name: .customLong("seal-to"), help: ArgumentHelp(tr("bind.sealTo.help"), valueName: "auto|token|host"))
    var sealing: SealingMode = .auto

    @OptionGroup var pin: PINInput

    /// The request body: both files and, when asked for, the secrets and the PIN that seals them to the token.
    func request(client: KysoClient) async throws -> BindingCreateRequest {
        let statementBytes = try Self.read(statement)
        let signatureBytes = try Self.read(signature)
        let secrets = try self.secrets.read()
        let hasSecrets = secrets.terminalAccessKey != nil || secrets.password != nil
        // A PIN is read only when it will be used: sealing to the token, or given on purpose for auto.
        let wantsPIN = hasSecrets && (sealing == .token || (sealing == .auto && pin.isGiven))
        let prompt = wantsPIN ? await TokenNaming.prompt(certificate: TokenNaming.certificate(inStatement: statementBytes) ?? "", client: client) : ""
        return BindingCreateRequest(statement: statementBytes, signature: signatureBytes,
                                    terminalAccessKey: secrets.terminalAccessKey, password: secrets.password,
                                    sealing: sealing, pin: wantsPIN ? try pin.read(prompt: prompt) : nil,
                                    allowFinalTry: pin.allowFinalTry ? true : nil)
    }

    private static func read(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError(tr("file.cannotRead", ["path": path, "reason": error.localizedDescription]))
        }
    }
}

/// `kyso bind`: store a customs account's binding to a certificate.
struct BindCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "bind", abstract: tr("bind.abstract"), discussion: tr("bind.discussion"))
    }

    @OptionGroup var connection: DaemonConnection
    @OptionGroup var files: SignedStatementFiles

    func run() async throws {
        let body = Array(try APIJSON.encoder().encode(try await files.request(client: connection.client)))
        let bound: BindingInfo
        do {
            bound = try await connection.client.request(.POST, "/v1/bindings", body: body).decode(BindingInfo.self)
        } catch {
            throw ClientExit.fail(error)
        }
        Output.line(TerminalText.field(BindingText.sentence(bound, moved: false)))
        if let warning = BindingText.expiryWarning(bound) { Output.error(warning) }
        if bound.warnings?.contains("unknown-ca") == true { Output.error(tr("warning.unknownCA")) }
    }
}

/// `kyso rebind`: move a binding to a renewed certificate.
struct RebindCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "rebind", abstract: tr("rebind.abstract"), discussion: tr("rebind.discussion"))
    }

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp(tr("option.account.help"), valueName: "ACCOUNT"))
    var account: String

    @OptionGroup var files: SignedStatementFiles

    @Flag(help: ArgumentHelp(tr("rebind.yes.help"))) var yes = false

    func run() async throws {
        let segment = try AccountPath.segment(account)
        if let binding = try? await connection.client.request(.GET, "/v1/bindings/\(segment)").decode(BindingInfo.self),
           let loss = Confirmation.rebindLoss(binding) {
            try Confirmation.confirm(loss, account: binding.account, yes: yes)
        }
        let body = Array(try APIJSON.encoder().encode(try await files.request(client: connection.client)))
        let moved: BindingInfo
        do {
            moved = try await connection.client.request(.PUT, "/v1/bindings/\(segment)", body: body).decode(BindingInfo.self)
        } catch {
            throw ClientExit.fail(error)
        }
        Output.line(TerminalText.field(BindingText.sentence(moved, moved: true)))
        if let warning = BindingText.expiryWarning(moved) { Output.error(warning) }
        if moved.warnings?.contains("unknown-ca") == true { Output.error(tr("warning.unknownCA")) }
    }
}

/// An account name as a path segment: letters, digits and the branch dash only, so nothing can change the path.
enum AccountPath {
    static func segment(_ account: String) throws -> String {
        let trimmed = account.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }) else {
            throw ValidationError(tr("account.notAnAccount", ["account": account]))
        }
        return trimmed
    }
}

/// How a binding reads in one line.
enum BindingText {
    static func sentence(_ binding: BindingInfo, moved: Bool) -> String {
        let certificate = binding.certificate
        var arguments = ["account": binding.account, "terminalId": binding.terminalId ?? "?", "taxCode": binding.taxCode,
                         "serial": certificate.serialNumber, "ca": CAName.display(certificate.provider), "until": day(certificate.notAfter)]
        let kind = binding.role == .declarant ? "declarant" : "admin"
        guard let secrets = BindingText.secrets(binding) else {
            return tr("binding.\(moved ? "moved" : "bound").\(kind)", arguments)
        }
        arguments["secrets"] = secrets
        return tr("binding.\(moved ? "moved" : "bound").\(kind).withSecrets", arguments)
    }

    /// A day as the reader's language writes it (dd/MM/yyyy in Vietnamese, ISO in English).
    static func day(_ date: Date) -> String { tr.date(date) }

    /// A warning when the bound certificate ends within 30 days (issue 13 friction: a certificate with 11 days left
    /// was bound without a word).
    static func expiryWarning(_ binding: BindingInfo, now: Date = Date()) -> String? {
        let days = Int((binding.certificate.notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
        guard days < 30 else { return nil }
        return tr("binding.expiryWarning", [
            "serial": TerminalText.field(binding.certificate.serialNumber), "day": day(binding.certificate.notAfter),
            "days": tr.number(days), "account": TerminalText.field(binding.account),
        ])
    }

    /// The stored secrets, those sealed to the token marked so (revealing them needs the token and its PIN).
    static func secrets(_ binding: BindingInfo) -> String? {
        binding.secrets.isEmpty ? nil : binding.secrets.map { kind in
            let name = tr("secret.\(kind)")
            return binding.sealedToToken.contains(kind) ? tr("secret.onToken", ["secret": name]) : name
        }.joined(separator: ", ")
    }
}

import ArgumentParser
import Foundation
import KysoAPI
import KysoCore

/// The files `kyso register --out` writes, as `kyso bind` and `kyso rebind` read them.
struct SignedStatementFiles: ParsableArguments {
    @Argument(help: ArgumentHelp("The statement, exactly as signed (statement.json from `kyso register --out`).", valueName: "STATEMENT"))
    var statement: String

    @Argument(help: ArgumentHelp("Its detached CMS signature, DER (signature.der).", valueName: "SIGNATURE"))
    var signature: String

    @OptionGroup var secrets: SecretInput

    @Option(name: .customLong("seal-to"), help: ArgumentHelp(
        "Where stored secrets are sealed: token (revealing them needs the token and its PIN; the PIN is asked for), host (the daemon's host key), or auto: token when a PIN is given with --pin-fd/--pin-stdin and the certificate's key can decrypt, else host.",
        valueName: "auto|token|host"))
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
            throw ValidationError("cannot read \(path): \(error.localizedDescription)")
        }
    }
}

/// `kyso bind`: store a customs account's binding to a certificate.
struct BindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bind", abstract: "Bind a customs account to its certificate with a signed registration statement.",
        discussion: """
            kysod stores the binding only if the signature verifies against the certificate the statement names (on a \
            token plugged in now), the certificate is valid, its tax code is the account's (or a branch of it), and \
            neither the certificate nor the User ID is bound already. A declarant account's terminal access key and \
            VNACCS password can be stored with it, encrypted: read from --secrets-fd N or asked with --ask-secrets, \
            never from the command line. With --seal-to token they are sealed to the token (kysod proves the token \
            opens them first), so revealing them needs the token and its PIN. \
            Exit status: 0 bound, 1 refused (bad or tampered statement, rule refused, already bound), 64 usage error, \
            69 kysod not running, 77 access refused (needs the admin capability).
            """)

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
        Output.line(TerminalText.field(BindingText.sentence(bound, verb: "bound")))
        if let warning = BindingText.expiryWarning(bound) { Output.error(warning) }
        if bound.warnings?.contains("unknown-ca") == true {
            Output.error("warning: the certificate's issuer is not a known licensed CA (unknown-ca)")
        }
    }
}

/// `kyso rebind`: move a binding to a renewed certificate.
struct RebindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebind", abstract: "Move an account's binding to a new certificate (after a renewal).",
        discussion: """
            Register the same account on the new certificate first (`kyso register … --out DIR`), then pass that \
            statement and signature. The account fields must be the binding's, and the new certificate present, valid \
            and of the account's tax code. Secrets sealed with the host key are kept, those sealed to the old token are \
            dropped (the new token cannot open them): kyso says so and, on a terminal, asks for the account's name first \
            (--yes skips the question); --secrets-fd / --ask-secrets store new ones. \
            Exit status: 0 moved, 1 refused (not bound, same certificate, other account fields, rule refused), \
            64 usage error, 69 kysod not running, 77 access refused (needs the admin capability).
            """)

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp("The account: a User ID, or an admin account's tax code.", valueName: "ACCOUNT"))
    var account: String

    @OptionGroup var files: SignedStatementFiles

    @Flag(help: "Do not ask for confirmation on a terminal when secrets sealed to the old token would be dropped.") var yes = false

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
        Output.line(TerminalText.field(BindingText.sentence(moved, verb: "moved")))
        if let warning = BindingText.expiryWarning(moved) { Output.error(warning) }
        if moved.warnings?.contains("unknown-ca") == true {
            Output.error("warning: the certificate's issuer is not a known licensed CA (unknown-ca)")
        }
    }
}

/// An account name as a path segment: letters, digits and the branch dash only, so nothing can change the path.
enum AccountPath {
    static func segment(_ account: String) throws -> String {
        let trimmed = account.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }) else {
            throw ValidationError("\"\(account)\" is not an account: give a User ID (8 letters or digits) or a tax code")
        }
        return trimmed
    }
}

/// How a binding reads in one line.
enum BindingText {
    static func sentence(_ binding: BindingInfo, verb: String) -> String {
        let who = binding.role == .declarant
            ? "declarant \(binding.account) (terminal \(binding.terminalId ?? "?"), MST \(binding.taxCode))"
            : "admin account MST \(binding.taxCode)"
        let secrets = BindingText.secrets(binding).map { "; stored: \($0)" } ?? ""
        return "\(verb) \(who) → certificate \(binding.certificate.serialNumber) (\(CAName.display(binding.certificate.provider)), until \(day(binding.certificate.notAfter)))\(secrets)"
    }

    static func day(_ date: Date) -> String { date.formatted(.iso8601.year().month().day()) }

    /// A warning when the bound certificate ends within 30 days (issue 13 friction: a certificate with 11 days left
    /// was bound without a word).
    static func expiryWarning(_ binding: BindingInfo, now: Date = Date()) -> String? {
        let days = Int((binding.certificate.notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
        guard days < 30 else { return nil }
        return "warning: certificate \(TerminalText.field(binding.certificate.serialNumber)) ends on \(day(binding.certificate.notAfter)) "
            + "(\(days) day(s) left): ask the CA for a renewal, then `kyso register` it and `kyso rebind \(TerminalText.field(binding.account))`"
    }

    /// The stored secrets, those sealed to the token marked so (revealing them needs the token and its PIN).
    static func secrets(_ binding: BindingInfo) -> String? {
        binding.secrets.isEmpty ? nil
            : binding.secrets.map { binding.sealedToToken.contains($0) ? "\($0) (on token)" : $0 }.joined(separator: ", ")
    }
}

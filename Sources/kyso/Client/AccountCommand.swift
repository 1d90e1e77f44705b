import ArgumentParser
import Foundation
import KysoAPI
import KysoCore

/// `kyso account`: a customs account as the declaration software needs it.
struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Show a customs account's card: what the declaration software's settings ask for.",
        subcommands: [AccountShowCommand.self, SetSecretCommand.self])
}

/// `kyso account show USERID`: the account card.
struct AccountShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print a declarant account's card, in the order of the VNACCS declaration parameters.",
        discussion: """
            The fields come in the order the customs guide lists a declarant account (User ID, password, Terminal ID, \
            Terminal access key, then the certificate: serial number, tax code, CA provider), which is the order the \
            declaration software's "VNACCS declaration parameters" screen asks for them, then the holder and the \
            certificate's validity. With --secrets the password and Terminal access key are revealed as `kyso secret` \
            does (admin right; a secret sealed to the token needs the token and its PIN, asked once) and recorded in \
            kysod's audit; without it they show as stored or not. \
            Exit status: 0 shown, 1 not bound or refused, 64 usage error, 69 kysod not running, 77 access refused.
            """)

    @OptionGroup var connection: DaemonConnection
    @OptionGroup var pinInput: PINInput

    @Argument(help: ArgumentHelp("The declarant account's User ID (or an admin account's tax code).", valueName: "ACCOUNT"))
    var account: String

    @Flag(help: "Reveal the stored password and Terminal access key (admin right; the token's PIN when sealed to it).")
    var secrets = false

    @Flag(help: "Print the card as JSON.") var json = false

    func run() async throws {
        let segment = try AccountPath.segment(account)
        let client = connection.client
        let binding: BindingInfo
        var card: AccountCard
        do {
            binding = try await client.request(.GET, "/v1/bindings/\(segment)").decode(BindingInfo.self)
            // The holder's name is on the certificate, which kysod reads from a present token.
            let certificate = try? await client.request(.GET, "/v1/certificates/\(binding.certificate.sha256)").decode(CertificateResponse.self)
            card = AccountCard(binding, holder: certificate?.profile.commonName)
            if secrets {
                var pin: SecretBytes?
                var asked = false
                for kind in [SecretKind.password, .terminalAccessKey] where binding.secrets.contains(kind.rawValue) {
                    let path = "/v1/bindings/\(segment)/secrets/\(kind.rawValue)"
                    let secret: SecretResponse
                    if binding.sealedToToken.contains(kind.rawValue) {
                        if !asked {
                            pin = try pinInput.read(prompt: await TokenNaming.prompt(certificate: binding.certificate.sha256, client: client))
                            asked = true
                        }
                        let body = Array(try APIJSON.encoder().encode(SecretRevealRequest(pin: pin, allowFinalTry: pinInput.allowFinalTry ? true : nil)))
                        secret = try await client.request(.POST, path, body: body).decode(SecretResponse.self)
                    } else {
                        secret = try await client.request(.GET, path).decode(SecretResponse.self)
                    }
                    card.reveal(kind, String(decoding: secret.value.bytes, as: UTF8.self))
                }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ClientExit.fail(error)
        }
        if json {
            Output.line(try JSONOutput.string(card))
        } else {
            Output.text(card.text)
        }
    }
}

/// One account's card: the VNACCS parameters in the customs guide's order, then what helps to check them.
struct AccountCard: Encodable {
    var account: String
    var role: AccountRole
    var userId: String?
    /// The value with --secrets; else nil (see `secretsStored`).
    var password: String?
    var terminalId: String?
    var terminalAccessKey: String?
    var taxCode: String
    var certificateSerial: String
    var caProvider: String
    var holder: String?
    var validFrom: Date
    var validUntil: Date
    var certificateSha256: String
    /// Which secrets kysod holds for the account (never their values).
    var secretsStored: [String]
    var secretsSealedToToken: [String]

    init(_ binding: BindingInfo, holder: String?) {
        account = binding.account
        role = binding.role
        userId = binding.userId
        terminalId = binding.terminalId
        taxCode = binding.taxCode
        certificateSerial = binding.certificate.serialNumber
        caProvider = CAName.display(binding.certificate.provider)
        self.holder = holder
        validFrom = binding.certificate.notBefore
        validUntil = binding.certificate.notAfter
        certificateSha256 = binding.certificate.sha256
        secretsStored = binding.secrets.sorted()
        secretsSealedToToken = binding.sealedToToken.sorted()
    }

    mutating func reveal(_ kind: SecretKind, _ value: String) {
        switch kind {
        case .password: password = value
        case .terminalAccessKey: terminalAccessKey = value
        }
    }

    /// A stored secret not revealed: said so, and how to see it.
    private func hidden(_ kind: SecretKind) -> String {
        guard secretsStored.contains(kind.rawValue) else { return "(not stored in Kyso)" }
        return secretsSealedToToken.contains(kind.rawValue) ? "(stored, sealed to the token: --secrets shows it)" : "(stored: --secrets shows it)"
    }

    /// Label and value lines, aligned; values from others escaped.
    var text: String {
        var rows: [(String, String)] = []
        if role == .declarant {
            rows += [("User ID", userId ?? account), ("Password", password ?? hidden(.password)),
                     ("Terminal ID", terminalId ?? "-"), ("Terminal access key", terminalAccessKey ?? hidden(.terminalAccessKey))]
        } else {
            rows.append(("Admin account (tax code)", account))
        }
        rows += [("Certificate serial", certificateSerial), ("Tax code", taxCode), ("CA provider", caProvider),
                 ("Holder", holder ?? "(certificate not on a token plugged in now)"),
                 ("Valid", "\(BindingText.day(validFrom)) to \(BindingText.day(validUntil))")]
        let width = rows.map(\.0.count).max() ?? 0
        let title = role == .declarant ? "VNACCS declaration parameters, account \(account)" : "VNACCS admin account \(account)"
        return TerminalText.field(title) + "\n" + rows.map { label, value in
            label + String(repeating: " ", count: width - label.count) + "  " + TerminalText.field(value)
        }.joined(separator: "\n") + "\n"
    }
}

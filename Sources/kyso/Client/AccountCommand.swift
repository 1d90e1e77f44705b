import ArgumentParser
import Foundation
import KysoText
import KysoAPI
import KysoCore

/// `kyso account`: a customs account as the declaration software needs it.
struct AccountCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "account", abstract: tr("account.abstract"), subcommands: [AccountShowCommand.self])
    }
}

/// `kyso account show USERID`: the account card.
struct AccountShowCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "show", abstract: tr("account.show.abstract"), discussion: tr("account.show.discussion"))
    }

    @OptionGroup var connection: DaemonConnection
    @OptionGroup var pinInput: PINInput

    @Argument(help: ArgumentHelp(tr("account.show.account.help"), valueName: "ACCOUNT"))
    var account: String

    @Flag(help: ArgumentHelp(tr("account.show.secrets.help")))
    var secrets = false

    @Flag(help: ArgumentHelp(tr("account.show.json.help"))) var json = false

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
        guard secretsStored.contains(kind.rawValue) else { return tr("account.card.notStored") }
        return tr(secretsSealedToToken.contains(kind.rawValue) ? "account.card.storedOnToken" : "account.card.stored")
    }

    /// Label and value lines, aligned; values from others escaped.
    var text: String {
        var rows: [(String, String)] = []
        if role == .declarant {
            rows += [(tr("account.card.userId"), userId ?? account), (tr("account.card.password"), password ?? hidden(.password)),
                     (tr("account.card.terminalId"), terminalId ?? "-"),
                     (tr("account.card.terminalAccessKey"), terminalAccessKey ?? hidden(.terminalAccessKey))]
        } else {
            rows.append((tr("account.card.admin"), account))
        }
        rows += [(tr("account.card.serial"), certificateSerial), (tr("account.card.taxCode"), taxCode),
                 (tr("account.card.provider"), caProvider), (tr("account.card.holder"), holder ?? tr("account.card.noHolder")),
                 (tr("account.card.valid"), tr("account.card.validRange", ["from": BindingText.day(validFrom), "until": BindingText.day(validUntil)]))]
        let width = rows.map { displayWidth($0.0) }.max() ?? 0
        let title = tr(role == .declarant ? "account.card.title.declarant" : "account.card.title.admin", ["account": account])
        return TerminalText.field(title) + "\n" + rows.map { label, value in
            padded(label, toWidth: width) + "  " + TerminalText.field(value)
        }.joined(separator: "\n") + "\n"
    }
}

import ArgumentParser
import Foundation
import KysoText
import KysoCore
import KysoAPI

/// `kyso secret`: reveal a stored terminal access key or VNACCS password.
struct SecretCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "secret", abstract: tr("secret.abstract"), discussion: tr("secret.discussion"))
    }

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp(tr("secret.account.help"), valueName: "ACCOUNT"))
    var account: String

    @Argument(help: ArgumentHelp(tr("secret.kind.help"), valueName: "KIND"))
    var kind: SecretKind

    @OptionGroup var pinInput: PINInput

    func run() async throws {
        let segment = try AccountPath.segment(account)
        let path = "/v1/bindings/\(segment)/secrets/\(kind.rawValue)"
        let secret: SecretResponse
        do {
            let client = connection.client
            // The binding says whether this secret is sealed to the token; only then is a PIN asked for.
            // (An unbound account falls through to the GET, whose answer names the problem.)
            let binding = try? await client.request(.GET, "/v1/bindings/\(segment)").decode(BindingInfo.self)
            if let binding, binding.sealedToToken.contains(kind.rawValue) {
                let pin = try pinInput.read(prompt: await TokenNaming.prompt(certificate: binding.certificate.sha256, client: client))
                let body = Array(try APIJSON.encoder().encode(SecretRevealRequest(pin: pin, allowFinalTry: pinInput.allowFinalTry ? true : nil)))
                secret = try await client.request(.POST, path, body: body).decode(SecretResponse.self)
            } else {
                secret = try await client.request(.GET, path).decode(SecretResponse.self)
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ClientExit.fail(error)
        }
        Output.line(String(decoding: secret.value.bytes, as: UTF8.self))
    }
}

import ArgumentParser
import Foundation
import KysoText
import KysoAPI
import KysoCore
#if canImport(Glibc)
import Glibc
#endif

/// `kyso sign`: a signature made on the token by kysod.
struct SignCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "sign", abstract: tr("sign.abstract"), discussion: tr("sign.discussion"))
    }

    @OptionGroup var connection: DaemonConnection
    @OptionGroup var pinInput: PINInput
    @OptionGroup var otpInput: OTPInput

    @Argument(help: ArgumentHelp(tr("sign.token.help"), valueName: "TOKEN"))
    var token: String

    @Argument(help: ArgumentHelp(tr("sign.file.help"), valueName: "FILE"))
    var file: String

    @Option(help: ArgumentHelp(tr("sign.certificate.help")))
    var certificate: String?

    @Option(help: ArgumentHelp(tr("sign.mechanism.help")))
    var mechanism: SignatureMechanism?

    @Flag(help: ArgumentHelp(tr("sign.cms.help")))
    var cms = false

    @Option(help: ArgumentHelp(tr("sign.out.help"), valueName: "PATH"))
    var out: String?

    /// Where the signature goes: nil for standard output.
    private var outPath: String? { out == "-" ? nil : out }

    func validate() throws {
        // The signature is binary, not text: a terminal would take its bytes for control sequences. Checked before
        // the PIN is asked, so no signature is made for nothing.
        if outPath == nil, isatty(STDOUT_FILENO) == 1 {
            throw ValidationError(tr("sign.error.binary"))
        }
    }

    func run() async throws {
        // Everything that can fail without the token fails before the PIN is asked: the output file, then the input.
        let output: OutputFile?
        let digest: [UInt8]
        do {
            output = try outPath.map(OutputFile.signature(path:))
            do {
                digest = try FileDigest.sha256(of: file)
            } catch {
                output?.discard()
                throw error
            }
        } catch {
            throw ValidationError("\(error)")
        }
        // Only the digest travels: the file may be of any size (kysod builds the CMS around the digest).
        let signed: SignResponse
        do {
            let (token, named) = try await CertificateName.token(self.token, client: connection.client)
            let certificate = self.certificate ?? named
            let info = try? await connection.client.request(.GET, "/v1/tokens/\(token)").decode(TokenInfoResponse.self)
            if let warning = Self.expiredWarning(info, certificate: certificate) { Output.error(warning) }
            let pin = try pinInput.read(prompt: TokenNaming.prompt(label: info?.label, id: token))
            let otp = try await otpInput.read(for: info, client: connection.client)
            let request = SignRequest(certificate: certificate, digest: Data(digest), mechanism: mechanism, output: cms ? .cms : .raw,
                                      pin: pin, allowFinalTry: pinInput.allowFinalTry, otp: otp)
            let body = Array(try APIJSON.encoder().encode(request))
            signed = try await ApprovalNotice.whileSigning(info, client: connection.client) {
                try await connection.client.request(.POST, "/v1/tokens/\(token)/sign", body: body).decode(SignResponse.self)
            }
        } catch {
            output?.discard()
            if error is ValidationError { throw error }
            throw ClientExit.fail(error)
        }
        if let warning = signed.warning { Output.error(tr("kyso.prefix", ["message": warning])) }
        if let output {
            do {
                try output.commit(signed.signature)
            } catch {
                Output.error(tr("kyso.prefix", ["message": "\(error)"]))
                throw ExitCode.failure
            }
            Output.error(tr("sign.done", ["certificate": TerminalText.field(signed.certificate), "mechanism": signed.mechanism.rawValue,
                                          "output": signed.output.rawValue, "path": output.path]))
        } else {
            FileHandle.standardOutput.write(signed.signature)
        }
    }
}

extension SignCommand {
    /// A warning when the certificate that will sign has expired (issue 13 friction: it signed without a word). Not
    /// a refusal: a signature over old data may be wanted, but customs will not accept it as a new one.
    static func expiredWarning(_ token: TokenInfoResponse?, certificate named: String?) -> String? {
        guard let token else { return nil }
        let withKeys = token.certificates.filter(\.privateKeyOnToken)
        let chosen = named.map { name in token.certificates.first { $0.sha256 == name.lowercased() } } ?? (withKeys.count == 1 ? withKeys.first : nil)
        guard let profile = chosen?.profile, profile.status == .expired else { return nil }
        return tr("sign.expiredWarning", ["serial": profile.serialNumber.hex, "day": BindingText.day(profile.validity.notAfter)])
    }
}

/// `kyso logout`: forget cached logins.
struct LogoutCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "logout", abstract: tr("logout.abstract"))
    }

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp(tr("logout.token.help"), valueName: "TOKEN"))
    var token: String?

    func run() async throws {
        do {
            let response = try await connection.client.request(.POST, token.map { "/v1/tokens/\($0)/logout" } ?? "/v1/logout")
            guard response.status == 204 else { throw response.problem() }
        } catch {
            throw ClientExit.fail(error)
        }
    }
}

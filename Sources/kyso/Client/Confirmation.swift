import ArgumentParser
import Foundation
import KysoAPI
import KysoCore
#if canImport(Glibc)
import Glibc
#endif

/// Asks before kyso destroys what cannot be typed back (issue 13 friction: `unbind` destroyed the access key without
/// confirmation, `rebind` dropped token-sealed secrets without saying so). On a terminal the person types the
/// account's name; --yes skips the question. Without a terminal (scripts, pipes) kyso goes ahead, as before, and
/// still says on standard error what went.
enum Confirmation {
    /// Says what `action` destroys and, on a terminal without `yes`, asks for the account's name.
    static func confirm(_ what: String, account: String, yes: Bool) throws {
        Output.error("kyso: \(what)")
        guard !yes, isatty(STDIN_FILENO) == 1 else { return }
        Output.errorText("Type the account (\(TerminalText.field(account))) to go ahead, anything else to stop: ")
        let answer = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces) ?? ""
        guard answer.uppercased() == account.uppercased() else {
            Output.error("kyso: stopped; nothing changed")
            throw ExitCode.failure
        }
    }

    /// What unbinding `binding` removes, in words.
    static func unbindLoss(_ binding: BindingInfo) -> String {
        let secrets = binding.secrets.isEmpty ? "" : " and its stored \(binding.secrets.sorted().joined(separator: " and ")) (not recoverable from Kyso)"
        return "unbinding \(binding.account) removes its binding to certificate \(binding.certificate.serialNumber)\(secrets)"
    }

    /// What moving `binding` drops: the secrets sealed to the old token, which the new one cannot open.
    static func rebindLoss(_ binding: BindingInfo) -> String? {
        guard !binding.sealedToToken.isEmpty else { return nil }
        return "moving \(binding.account) drops \(binding.sealedToToken.sorted().joined(separator: " and ")), sealed to the old token "
            + "(the new token cannot open them); store them again with --secrets-fd N or --ask-secrets"
    }
}

import ArgumentParser
import Foundation
import KysoText
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
        Output.error(tr("kyso.prefix", ["message": what]))
        guard !yes, isatty(STDIN_FILENO) == 1 else { return }
        Output.errorText(tr("confirm.prompt", ["account": TerminalText.field(account)]))
        let answer = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces) ?? ""
        guard answer.uppercased() == account.uppercased() else {
            Output.error(tr("confirm.stopped"))
            throw ExitCode.failure
        }
    }

    /// What unbinding `binding` removes, in words.
    static func unbindLoss(_ binding: BindingInfo) -> String {
        let arguments = ["account": binding.account, "serial": binding.certificate.serialNumber,
                         "secrets": binding.secrets.sorted().map { tr("secret.\($0)") }.joined(separator: ", ")]
        return tr(binding.secrets.isEmpty ? "confirm.unbindLoss" : "confirm.unbindLoss.withSecrets", arguments)
    }

    /// What moving `binding` drops: the secrets sealed to the old token, which the new one cannot open.
    static func rebindLoss(_ binding: BindingInfo) -> String? {
        guard !binding.sealedToToken.isEmpty else { return nil }
        return tr("confirm.rebindLoss", ["account": binding.account,
                                         "secrets": binding.sealedToToken.sorted().map { tr("secret.\($0)") }.joined(separator: ", ")])
    }
}

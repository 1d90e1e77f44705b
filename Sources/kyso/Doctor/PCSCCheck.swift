import PCSC

/// The readers and cards pcscd sees, for `kyso doctor`. Round trips to pcscd only; never connects to a card.
enum PCSCCheck {
    static func run() -> (PCSCSection, [Problem]) {
        do throws(PCSCError) {
            let readers = try PCSCSnapshot.take()
            let section = PCSCSection(reachable: true, error: nil, readers: readers.map {
                ReaderSection(name: $0.name, cardPresent: $0.cardPresent, atr: $0.cardPresent ? $0.atrHex : nil, state: $0.stateWords)
            })
            var problems: [Problem] = []
            if readers.isEmpty {
                problems.append(Problem(
                    severity: .note, what: "pcscd is running but sees no smartcard reader.",
                    fix: "Plug the reader or token in. Tokens that are not CCID devices are reached through their vendor's "
                        + "PKCS#11 module only (--module PATH); check `lsusb` for the device."))
            }
            for reader in readers where reader.flags.contains(.mute) {
                problems.append(Problem(
                    severity: .warning, what: "The card in \(reader.name) does not answer (mute).",
                    fix: "Take the card out and put it back, the right way round; if it stays mute the card or token is faulty."))
            }
            for reader in readers where reader.flags.contains(.exclusive) {
                problems.append(Problem(
                    severity: .warning, what: "Another program holds the card in \(reader.name) exclusively.",
                    fix: "Close the vendor tool or browser that uses it; other programs cannot reach the card meanwhile."))
            }
            return (section, problems)
        } catch {
            let section = PCSCSection(reachable: false, error: "\(error.function): \(error.code.name)", readers: [])
            let fix = error.code.hint ?? "Check that pcscd is installed and running: `systemctl status pcscd`."
            // Without pcscd, smartcards and CCID tokens are invisible; tokens with their own module still work.
            let severity: Problem.Severity = error.code == .noService ? .warning : .error
            return (section, [Problem(severity: severity, what: "PC/SC is not usable (\(error.function): \(error.code.name)); smartcards and CCID tokens cannot be seen.", fix: fix)])
        }
    }
}

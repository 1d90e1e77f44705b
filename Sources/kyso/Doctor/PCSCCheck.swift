import KysoText
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
                    severity: .note, what: tr("doctor.pcsc.noReaders.what"), fix: tr("doctor.pcsc.noReaders.fix")))
            }
            for reader in readers where reader.flags.contains(.mute) {
                problems.append(Problem(
                    severity: .warning, what: tr("doctor.pcsc.mute.what", ["reader": reader.name]), fix: tr("doctor.pcsc.mute.fix")))
            }
            for reader in readers where reader.flags.contains(.exclusive) {
                problems.append(Problem(
                    severity: .warning, what: tr("doctor.pcsc.exclusive.what", ["reader": reader.name]), fix: tr("doctor.pcsc.exclusive.fix")))
            }
            return (section, problems)
        } catch {
            let section = PCSCSection(reachable: false, error: "\(error.function): \(error.code.name)", readers: [])
            let fix = error.code.hintMessage.map { tr($0) } ?? tr("doctor.pcsc.unusable.fix")
            // Without pcscd, smartcards and CCID tokens are invisible; tokens with their own module still work.
            let severity: Problem.Severity = error.code == .noService ? .warning : .error
            return (section, [Problem(severity: severity, what: tr("doctor.pcsc.unusable.what", ["function": error.function, "code": error.code.name]), fix: fix)])
        }
    }
}

import KysoText
import PCSC

extension PCSCError.Code {
    /// `hint` in the reader's language: what to do about the codes with a known cause and fix.
    var hintMessage: Message? {
        switch self {
        case .noService: Message("pcsc.hint.noService")
        case .serviceStopped, .commError: Message("pcsc.hint.serviceStopped")
        case .securityViolation: Message("pcsc.hint.securityViolation")
        case .sharingViolation: Message("pcsc.hint.sharingViolation")
        default: hint.map { Message("pcsc.hint.other", ["hint": $0]) }
        }
    }
}

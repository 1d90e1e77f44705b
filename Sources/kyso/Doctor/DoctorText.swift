import KysoCore
import KysoText

/// The human-readable doctor report, in the reader's language.
enum DoctorText {
    static func render(_ report: DoctorReport) -> String {
        var lines: [String] = []
        lines.append(tr("doctor.section.pcsc"))
        if report.pcsc.reachable {
            lines.append("  " + tr("doctor.pcsc.running", ["count": tr.number(report.pcsc.readers.count)]))
            for reader in report.pcsc.readers {
                let card = reader.cardPresent ? tr("doctor.reader.card", ["atr": reader.atr ?? ""]) : tr("status.reader.noCard")
                lines.append("  - \(reader.name): \(card) [\(reader.state.joined(separator: ", "))]")
            }
        } else {
            lines.append("  " + tr("doctor.pcsc.unreachable", ["error": report.pcsc.error ?? tr("doctor.unknownError")]))
        }
        lines.append("")
        lines.append(tr("doctor.section.modules"))
        for module in report.modules {
            let head = "\(module.name) (\(module.path)) [\(module.source)]"
            if module.stuck == true {
                lines.append("  ✗ \(head): \(module.error ?? tr("doctor.module.stuck"))")
                continue
            }
            if !module.loaded {
                lines.append("  ✗ \(head): \(module.error ?? tr("doctor.module.failed"))")
                continue
            }
            if let library = module.library {
                lines.append("  ✓ " + tr("doctor.module.library", [
                    "module": head, "description": library.description, "version": library.version,
                    "manufacturer": library.manufacturer, "cryptoki": library.cryptokiVersion]))
            } else {
                lines.append("  ✓ \(head)")
            }
            if module.trustPolicy { lines.append("    " + tr("doctor.module.trustOnly")); continue }
            if let error = module.error { lines.append("    " + tr("doctor.error", ["error": error])) }
            if module.tokens.isEmpty { lines.append("    " + tr("doctor.module.noToken")) }
            for token in module.tokens { lines += tokenLines(token) }
        }
        if let daemon = report.daemon {
            lines.append("")
            lines.append("kysod \(daemon.version) (\(daemon.socket))")
            for module in daemon.modules {
                let health = module.state == .loaded ? tr("doctor.daemon.tokens", ["count": tr.number(module.tokenCount)])
                    : module.state == .stuck ? tr("doctor.daemon.stuckIn", ["call": module.pendingCall ?? tr("status.aCall")])
                    : tr("doctor.daemon.failedWith", ["error": module.error ?? ""])
                lines.append("  \(module.state == .loaded ? "✓" : "✗") \(module.name): \(health)")
            }
        }
        lines.append("")
        if report.problems.isEmpty {
            lines.append(tr("doctor.noProblems"))
        } else {
            lines.append(tr("doctor.section.problems"))
            for problem in report.problems {
                lines.append("  \(tr("doctor.severity.\(problem.severity.rawValue)")): \(problem.what)")
                lines.append("    " + tr("status.fix", ["fix": problem.fix]))
            }
        }
        // Each line is escaped whole: a reader, module or token name cannot add a line or a control sequence.
        return lines.map(TerminalText.field).joined(separator: "\n") + "\n"
    }

    private static func tokenLines(_ token: TokenSection) -> [String] {
        var lines = [
            "    " + tr("doctor.token.head", ["label": token.label, "slot": String(token.slot), "description": token.slotDescription]),
            "      " + tr("doctor.token.hardware", ["manufacturer": token.manufacturer, "model": token.model, "serial": token.serialNumber]),
            "      " + tr("doctor.token.pin", ["pin": token.pinWords]),
            "      " + tr("doctor.token.flags", ["flags": token.flags.joined(separator: " ")]),
            "      uri: \(token.uri)",
        ]
        if let error = token.error { lines.append("      " + tr("doctor.error", ["error": error])) }
        for certificate in token.certificates {
            lines.append("      " + tr("doctor.certificate.head", ["label": certificate.label, "id": certificate.objectID]))
            if let profile = certificate.profile {
                lines += certificateLines(profile, indent: "        ")
            } else if let error = certificate.error {
                lines.append("        \(error)")
            }
            let key = certificate.privateKeyOnToken
                ? tr(certificate.keyEvidence == "privateKeyObject" ? "doctor.key.yes" : "doctor.key.yesAfterLogin")
                : tr("doctor.key.no")
            lines.append("        " + tr("doctor.key", ["key": key]))
            lines.append("        uri: \(certificate.uri)")
        }
        return lines
    }
}

import KysoCore

/// The human-readable doctor report.
enum DoctorText {
    static func render(_ report: DoctorReport) -> String {
        var lines: [String] = [DoctorSummary.line(report), ""]
        lines.append("PC/SC (pcscd)")
        if report.pcsc.reachable {
            lines.append("  pcscd: running, \(report.pcsc.readers.count) reader(s)")
            for reader in report.pcsc.readers {
                let card = reader.cardPresent ? "card present, ATR \(reader.atr ?? "")" : "no card"
                lines.append("  - \(reader.name): \(card) [\(reader.state.joined(separator: ", "))]")
            }
        } else {
            lines.append("  pcscd: not reachable (\(report.pcsc.error ?? "unknown error"))")
        }
        lines.append("")
        lines.append("PKCS#11 modules")
        for module in report.modules {
            if module.stuck == true {
                lines.append("  ✗ \(module.name) (\(module.path)) [\(module.source)]: \(module.error ?? "stuck")")
                continue
            }
            if !module.loaded {
                lines.append("  ✗ \(module.name) (\(module.path)) [\(module.source)]: \(module.error ?? "failed")")
                continue
            }
            var head = "  ✓ \(module.name) (\(module.path)) [\(module.source)]"
            if let library = module.library {
                head += ": \(library.description) \(library.version) by \(library.manufacturer), Cryptoki \(library.cryptokiVersion)"
            }
            lines.append(head)
            if module.trustPolicy { lines.append("    trust anchors only (not a signing token)"); continue }
            if let error = module.error { lines.append("    error: \(error)") }
            if module.tokens.isEmpty { lines.append("    no token") }
            for token in module.tokens { lines += tokenLines(token) }
        }
        if let daemon = report.daemon {
            lines.append("")
            lines.append("kysod \(daemon.version) (\(daemon.socket))")
            for module in daemon.modules {
                let health = module.state == .loaded ? "\(module.tokenCount) token(s)"
                    : module.state == .stuck ? "STUCK in \(module.pendingCall ?? "a call")" : "FAILED: \(module.error ?? "")"
                lines.append("  \(module.state == .loaded ? "✓" : "✗") \(module.name): \(health)")
            }
        }
        lines.append("")
        if report.problems.isEmpty {
            lines.append("No problems found.")
        } else {
            lines.append("Problems")
            for problem in report.problems {
                lines.append("  \(problem.severity.rawValue.uppercased()): \(problem.what)")
                lines.append("    fix: \(problem.fix)")
            }
        }
        // Each line is escaped whole: a reader, module or token name cannot add a line or a control sequence.
        return lines.map(TerminalText.field).joined(separator: "\n") + "\n"
    }

    private static func tokenLines(_ token: TokenSection) -> [String] {
        var lines = [
            "    Token \"\(token.label)\"  slot \(token.slot) (\(token.slotDescription))",
            "      manufacturer \(token.manufacturer), model \(token.model), serial \(token.serialNumber)",
            "      PIN: \(token.pinWords)",
            "      flags: \(token.flags.joined(separator: " "))",
            "      uri: \(token.uri)",
        ]
        if let error = token.error { lines.append("      error: \(error)") }
        for certificate in token.certificates {
            lines.append("      Certificate \"\(certificate.label)\" (id \(certificate.objectID))")
            if let profile = certificate.profile {
                lines += certificateLines(profile, indent: "        ")
            } else if let error = certificate.error {
                lines.append("        \(error)")
            }
            let key = certificate.privateKeyOnToken
                ? (certificate.keyEvidence == "privateKeyObject" ? "yes" : "yes (its public key is on the token; the private key shows after login)")
                : "no (certificate only)"
            lines.append("        private key on token: \(key)")
            lines.append("        uri: \(certificate.uri)")
        }
        return lines
    }
}

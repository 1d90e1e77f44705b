import Foundation
import KysoAPI
import KysoCore
import KysoText
#if canImport(Glibc)
import Glibc
#endif

/// `kyso tokens` as people look at it (issue 13): one line per certificate within 100 columns, the one status that
/// matters most, coloured when the output is a terminal. `--wide` keeps every column (`wideRows`).
enum TokenTable {
    /// The widest line the narrow table writes.
    static let width = 100

    /// A column: its heading and the most display columns a cell keeps (longer ones end in "…"). Widths count
    /// what a terminal shows (KysoText.displayWidth), so Vietnamese headings and names keep the columns aligned.
    private static let columns: [(title: String, width: Int)] = [
        (tr("tokens.column.token"), 16), (tr("tokens.column.taxCode"), 14), (tr("tokens.column.holder"), 20),
        (tr("tokens.column.validUntil"), 11), (tr("tokens.column.status"), 16), (tr("tokens.column.account"), 16),
    ]

    enum Tone { case good, caution, bad }

    static func narrow(_ tokens: [TokenInfoResponse], colour: Bool) -> String {
        var rows: [(cells: [String], tone: Tone?)] = [(columns.map(\.title), nil)]
        for var token in tokens {
            // A remote credential's label is often its holder's name: the mark comes first, so a cut keeps it.
            if token.kind == .remote { token.label = tr("tokens.remoteLabel", ["label": token.label]) }
            if token.certificates.isEmpty {
                rows.append(([token.label, "-", tr("tokens.noCertificate"), "", pinStatus(token.pin.state)?.words ?? "", "-"], pinStatus(token.pin.state)?.tone))
            }
            for certificate in token.certificates {
                let profile = certificate.profile
                let status = self.status(certificate, pin: token.pin.state)
                rows.append(([
                    token.label, profile.taxCode?.value ?? "-", profile.commonName ?? profile.subject.rfc4514,
                    tr.date(profile.validity.notAfter), status.words,
                    accounts(certificate.accounts ?? []),
                ], status.tone))
            }
        }
        // Cells are escaped first (they come from tokens and certificates), then cut to their column. The holder's
        // name, the longest, gets whatever the other columns leave of the 100.
        let escaped = rows.map { row in (row.cells.map(TerminalText.field), row.tone) }
        var widths = columns.indices.map { index in
            escaped.map { min(displayWidth($0.0[index]), columns[index].width) }.max() ?? 0
        }
        let holder = 2
        let others = widths.indices.filter { $0 != holder }.map { widths[$0] }.reduce(0, +) + 2 * (columns.count - 1)
        let holderWidth = max(columns[holder].width, width - others)
        let cut = escaped.map { cells, tone in
            (cells.enumerated().map { index, cell in fit(cell, index == holder ? holderWidth : columns[index].width) }, tone)
        }
        widths[holder] = cut.map { displayWidth($0.0[holder]) }.max() ?? 0
        let statusColumn = 4
        return cut.map { cells, tone in
            cells.enumerated().map { index, cell in
                let padded = index == cells.count - 1 ? cell : KysoText.padded(cell, toWidth: widths[index])
                guard colour, index == statusColumn, let tone else { return padded }
                // Only the word is coloured, not its padding: the columns stay where they are.
                return paint(cell, tone) + String(repeating: " ", count: max(0, widths[index] - displayWidth(cell)))
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// The declarant accounts a certificate serves, then "+admin" when the tax code's admin account may use it too
    /// (any certificate of the tax code may): the declarant's User ID is what a person looks for on the line.
    static func accounts(_ accounts: [AccountSummary]) -> String {
        let declarants = accounts.filter { $0.role == .declarant }.map(\.account)
        let admin = accounts.first { $0.role == .admin }
        if declarants.isEmpty { return admin?.words ?? "-" }
        return declarants.joined(separator: ", ") + (admin == nil ? "" : " " + tr("tokens.plusAdmin"))
    }

    /// The one word a certificate's line shows: what stops signing first (a locked PIN, an ended certificate, a
    /// missing key), then what needs care soon, else "valid".
    static func status(_ certificate: TokenCertificate, pin: PINStatus.State) -> (words: String, tone: Tone) {
        if let pinStatus = pinStatus(pin), pinStatus.tone == .bad { return pinStatus }
        switch certificate.profile.status {
        case .expired, .notYetValid: return (certificate.profile.status.words, .bad)
        default: break
        }
        if !certificate.privateKeyOnToken { return (tr("tokens.status.noKey"), .bad) }
        if let pinStatus = pinStatus(pin) { return pinStatus }
        if certificate.profile.status == .expiringSoon { return (certificate.profile.status.words, .caution) }
        return (tr("tokens.status.valid"), .good)
    }

    private static func pinStatus(_ state: PINStatus.State) -> (words: String, tone: Tone)? {
        switch state {
        case .ok: nil
        case .countLow, .finalTry: (tr("tokens.status.pin", ["state": state.words]), .caution)
        case .locked, .notInitialized: (tr("tokens.status.pin", ["state": state.words]), .bad)
        }
    }

    /// Writes the narrow table. With colour it bypasses `Output`, which would escape the colour codes: every cell
    /// was escaped whole with `TerminalText.field`, so kyso's own SGR codes are the only control sequences in it.
    static func print(_ tokens: [TokenInfoResponse]) {
        let colour = colourWanted
        let text = narrow(tokens, colour: colour)
        if colour { FileHandle.standardOutput.write(Data(text.utf8)) } else { Output.text(text) }
    }

    /// Whether to colour: standard output is a terminal and NO_COLOR (no-color.org) is not set to something.
    static var colourWanted: Bool {
        guard isatty(STDOUT_FILENO) == 1 else { return false }
        return (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
    }

    private static func paint(_ text: String, _ tone: Tone) -> String {
        let code = switch tone {
        case .good: "32"
        case .caution: "33"
        case .bad: "31"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }

    /// `text` cut to `width` display columns, ending in "…" when cut.
    private static func fit(_ text: String, _ width: Int) -> String {
        guard displayWidth(text) > width else { return text }
        var kept = ""
        for character in text {
            guard displayWidth(kept + String(character)) <= width - 1 else { break }
            kept.append(character)
        }
        return kept + "…"
    }
}

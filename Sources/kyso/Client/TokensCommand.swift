import ArgumentParser
import KysoAPI
import KysoCore
import KysoText

/// `kyso tokens`: every token kysod sees, with its certificates, as a table.
struct TokensCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "tokens", abstract: tr("tokens.abstract"), discussion: tr("exit.daemonCommon"))
    }

    @OptionGroup var connection: DaemonConnection
    @Flag(help: ArgumentHelp(tr("option.daemonJSON.help"))) var json = false
    @Flag(help: ArgumentHelp(tr("tokens.option.wide.help"))) var wide = false

    func run() async throws {
        let list: TokenListResponse
        do {
            let response = try await connection.client.request(.GET, "/v1/tokens")
            if json { Output.line(String(decoding: response.body, as: UTF8.self)); return }
            list = try response.decode(TokenListResponse.self)
        } catch {
            throw ClientExit.fail(error)
        }
        if list.tokens.isEmpty {
            Output.line(tr("tokens.none"))
            return
        }
        guard wide else {
            TokenTable.print(list.tokens)
            return
        }
        var rows: [[String]] = [["tokens.column.token", "tokens.column.id", "tokens.column.pin", "tokens.column.taxCode",
                                 "tokens.column.holder", "tokens.column.ca", "tokens.column.serial", "tokens.column.validUntil",
                                 "tokens.column.status", "tokens.column.account"].map { tr($0) }]
        for token in list.tokens {
            let pin = RemoteTokenText.pinColumn(token) ?? token.pin.state.words
            let token = RemoteTokenText.labelled(token)
            if token.certificates.isEmpty {
                rows.append([token.label, token.id, pin, "-", tr("tokens.noCertificate"), "", "", "", "", ""])
            }
            for certificate in token.certificates {
                let profile = certificate.profile
                rows.append([
                    token.label, token.id, pin, profile.taxCode?.value ?? "-",
                    String((profile.commonName ?? profile.subject.rfc4514).prefix(34)),
                    profile.provider.displayName + (profile.provider.isTest ? " [\(tr("cert.value.test"))]" : ""),
                    profile.serialNumber.hex, tr.date(profile.validity.notAfter),
                    certificate.privateKeyOnToken ? profile.status.words : tr("tokens.statusNoKey", ["status": profile.status.words]),
                    (certificate.accounts ?? []).map(\.words).joined(separator: ", ").nonEmpty ?? "-",
                ])
            }
        }
        Output.text(TextTable.render(rows))
    }
}

extension String {
    /// nil for the empty string (to show "-" instead).
    var nonEmpty: String? { isEmpty ? nil : self }
}

/// Left-aligned columns, sized to their widest cell in display columns (KysoText.displayWidth), so Vietnamese text,
/// precomposed or decomposed, lines up; cells are escaped.
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        // Cells come from others (labels, names, programs): escaped whole, so none can forge a line or a column.
        let rows = rows.map { $0.map(TerminalText.field) }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], displayWidth(cell)) } }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : padded(cell, toWidth: widths[index])
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

import ArgumentParser
import KysoAPI
import KysoCore

/// `kyso tokens`: every token kysod sees, with its certificates, as a table.
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "List tokens and their certificates: tax code, CA, serial, validity, bound account.",
        discussion: "Exit status: 0 ok, 69 kysod not running, 77 access refused, 1 other errors.")

    @OptionGroup var connection: DaemonConnection
    @Flag(help: "Print the daemon's JSON.") var json = false

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
            Output.line("No token. Plug one in, or run `kyso doctor` to see why none shows.")
            return
        }
        var rows: [[String]] = [["TOKEN", "ID", "PIN", "TAX CODE", "HOLDER", "CA", "SERIAL", "VALID UNTIL", "STATUS", "ACCOUNT"]]
        for token in list.tokens {
            let pin = RemoteTokenText.pinColumn(token) ?? token.pin.state.words
            let token = RemoteTokenText.labelled(token)
            if token.certificates.isEmpty {
                rows.append([token.label, token.id, pin, "-", "(no certificate)", "", "", "", "", ""])
            }
            for certificate in token.certificates {
                let profile = certificate.profile
                rows.append([
                    token.label, token.id, pin, profile.taxCode?.value ?? "-",
                    String((profile.commonName ?? profile.subject.rfc4514).prefix(34)),
                    profile.provider.displayName + (profile.provider.isTest ? " [TEST]" : ""),
                    profile.serialNumber.hex, String(profile.validity.notAfter.formatted(.iso8601.year().month().day())),
                    profile.status.words + (certificate.privateKeyOnToken ? "" : " (no key)"),
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

/// Left-aligned columns, sized to their widest cell (in characters, so Vietnamese text lines up); cells are escaped.
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        // Cells come from others (labels, names, programs): escaped whole, so none can forge a line or a column.
        let rows = rows.map { $0.map(TerminalText.field) }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

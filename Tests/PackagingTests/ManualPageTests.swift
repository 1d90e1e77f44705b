import Foundation
import Testing

/// kyso(1) and kysod(8) in English and Vietnamese, and the bash, zsh and fish completions, as `make install` writes
/// them from the kyso and kysod of this build (Tools/man/kyso-man reads their --experimental-dump-help).
@Suite(.enabled(if: isInstalled("make") && isInstalled("man") && isInstalled("python3"), "make, man-db or python3 is missing"))
struct ManualPageTests {
    static let pages = [
        ("usr/local/share/man/man1/kyso.1", "kyso", "en"), ("usr/local/share/man/man8/kysod.8", "kysod", "en"),
        ("usr/local/share/man/vi/man1/kyso.1", "kyso", "vi"), ("usr/local/share/man/vi/man8/kysod.8", "kysod", "vi"),
    ]

    @Test("each page renders with man --warnings at 80 columns, without a warning, and names every subcommand")
    func pagesRenderAndNameEverySubcommand() throws {
        try withTemporaryDirectory { directory in
            let destination = directory.appendingPathComponent("root")
            let result = try InstallLayoutTests.makeInstall(into: destination, scratch: directory)
            #expect(result.status == 0, "\(result.output)")
            for (path, program, language) in Self.pages {
                let page = destination.appendingPathComponent(path)
                #expect((try? permissions(of: page)) == 0o644, "\(path)")
                let shown = try runProgram("man", ["--warnings", "-l", page.path], environment: ["MANWIDTH": "80", "MAN_KEEP_FORMATTING": ""])
                #expect(shown.status == 0 && shown.standardError.isEmpty, "\(path): \(shown.standardError)")
                let text = Self.plain(shown.standardOutput)
                #expect(!text.isEmpty, "\(path) renders empty")
                for command in try Self.subcommands(of: program) {
                    #expect(text.contains(command), "\(path) does not name \(command)")
                }
                let headings = language == "vi" ? ["TÊN", "CÚ PHÁP", "MÔ TẢ"] : ["NAME", "SYNOPSIS", "DESCRIPTION"]
                for heading in headings { #expect(text.contains(heading), "\(path) has no \(heading)") }
                // Every line fits the 80 columns man was asked for (groff would have warned otherwise, but say it).
                let wide = text.split(separator: "\n").filter { $0.count > 80 }
                #expect(wide.isEmpty, "\(path): \(wide.prefix(3))")
            }
            // The Vietnamese page is the Vietnamese help: kyso's own abstract in Vietnamese, not the English one.
            let english = Self.plain(try runProgram("man", ["-l", destination.appendingPathComponent(Self.pages[0].0).path],
                                                    environment: ["MANWIDTH": "80"]).standardOutput)
            let vietnamese = Self.plain(try runProgram("man", ["-l", destination.appendingPathComponent(Self.pages[2].0).path],
                                                       environment: ["MANWIDTH": "80"]).standardOutput)
            #expect(english.contains("Digital-signature tokens") || english.contains("tokens"), "\(english.prefix(400))")
            #expect(vietnamese.contains("chữ ký số"), "\(vietnamese.prefix(400))")
            let kysod = Self.plain(try runProgram("man", ["-l", destination.appendingPathComponent(Self.pages[3].0).path],
                                                  environment: ["MANWIDTH": "80"]).standardOutput)
            #expect(kysod.contains("Dịch vụ nền của Kyso") && !kysod.contains("The Kyso daemon"), "\(kysod.prefix(400))")
        }
    }

    @Test("bash, zsh and fish completions are installed where Debian looks, and complete kyso's subcommands")
    func completions() throws {
        try withTemporaryDirectory { directory in
            let destination = directory.appendingPathComponent("root")
            let result = try InstallLayoutTests.makeInstall(into: destination, scratch: directory)
            #expect(result.status == 0, "\(result.output)")
            let bash = destination.appendingPathComponent("usr/local/share/bash-completion/completions/kyso")
            let zsh = destination.appendingPathComponent("usr/local/share/zsh/vendor-completions/_kyso")
            let fish = destination.appendingPathComponent("usr/local/share/fish/vendor_completions.d/kyso.fish")
            for file in [bash, zsh, fish] { #expect((try? permissions(of: file)) == 0o644, "\(file.path)") }
            let bashText = try String(contentsOf: bash, encoding: .utf8)
            #expect(!bashText.hasPrefix("#!"), "a sourced file needs no #! line")
            #expect(try runProgram("bash", ["-n", bash.path]).status == 0)
            #expect(try String(contentsOf: zsh, encoding: .utf8).hasPrefix("#compdef kyso"))
            #expect(try String(contentsOf: fish, encoding: .utf8).contains("complete -c 'kyso'"))
            // bash really completes: `kyso no<TAB>` offers notify.
            let completed = try runProgram("bash", ["-c", """
                source \(bash.path)
                COMP_WORDS=(kyso no); COMP_CWORD=1; COMP_LINE='kyso no'; COMP_POINT=${#COMP_LINE}
                _kyso; printf '%s\\n' "${COMPREPLY[@]}"
                """])
            #expect(completed.standardOutput.split(separator: "\n").contains("notify"), "\(completed.output)")
        }
    }

    /// `kyso tokens`, `kyso account show`, …: every command the program's help lists (its own name for kysod).
    static func subcommands(of program: String) throws -> [String] {
        let dump = try runProgram(productsDirectory.appendingPathComponent(program).path, ["--experimental-dump-help"],
                                  environment: ["LANG": "C.UTF-8", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.standardOutput.utf8)) as? [String: Any])
        var names: [String] = [program]
        func walk(_ command: [String: Any], _ path: String) {
            for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                guard let name = sub["commandName"] as? String, name != "help", sub["shouldDisplay"] as? Bool ?? true else { continue }
                names.append("\(path) \(name)")
                walk(sub, "\(path) \(name)")
            }
        }
        walk(root["command"] as? [String: Any] ?? [:], program)
        return names
    }

    /// man's output with its backspace overstriking (bold, underline) taken out.
    static func plain(_ text: String) -> String {
        var result: [Character] = []
        for character in text {
            if character == "\u{8}" { _ = result.popLast() } else { result.append(character) }
        }
        return String(result)
    }
}

import Foundation
import Testing

/// Issue 14, item 7: README.vi.md is the same README for Vietnamese readers; kept in step, it names the same
/// `kyso` commands (in code, where commands are written) as README.md.
@Suite struct ReadmeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func bothReadmesNameTheSameCommands() throws {
        let english = try Self.commands(in: "README.md")
        let vietnamese = try Self.commands(in: "README.vi.md")
        #expect(english.count > 10)
        #expect(english.subtracting(vietnamese).sorted() == [], "README.vi.md lacks these")
        #expect(vietnamese.subtracting(english).sorted() == [], "README.md lacks these")
    }

    /// `kyso WORD` (and `kyso WORD WORD` for commands with subcommands) inside code spans and code blocks.
    static func commands(in file: String) throws -> Set<String> {
        let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
        var code = ""
        var inBlock = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inBlock.toggle(); continue }
            if inBlock { code += line + "\n"; continue }
            let spans = line.split(separator: "`", omittingEmptySubsequences: false)
            for (index, span) in spans.enumerated() where index % 2 == 1 { code += span + "\n" }
        }
        let pattern = /(?:^|[^\w-])kyso ((?:--)?[a-z][a-z-]*)(?: (show|origins))?/
        return Set(code.matches(of: pattern).map { match in
            match.output.2.map { "\(match.output.1) \($0)" } ?? String(match.output.1)
        })
    }
}

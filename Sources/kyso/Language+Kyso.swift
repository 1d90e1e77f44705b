import Foundation
import KysoText

/// kyso's texts in the language chosen once, at start, before any parsing: `--lang vi|en` (or cert's `--vi`) from
/// the command line, else LANGUAGE/LC_ALL/LC_MESSAGES/LANG as gettext reads them (Language.resolve). Deciding it
/// before argument-parser runs lets help texts, which argument-parser reads from `configuration` and the option
/// declarations while parsing, be in that language too.
let tr = Messages.forLanguage(KysoLanguage.chosen)

enum KysoLanguage {
    static let chosen = Language.resolve(
        environment: ProcessInfo.processInfo.environment,
        override: Language.override(inArguments: Array(CommandLine.arguments.dropFirst())))

    /// The arguments argument-parser sees: `--lang X` and `--lang=X` taken out (read above), so every command, also
    /// ones added later, accepts it in any position without declaring it. A `--` ends the options, as usual.
    static func parserArguments(_ arguments: [String]) -> [String] {
        var kept: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            if argument == "--" {
                kept += arguments[index...]
                break
            }
            if argument == "--lang" {
                index += 2
                continue
            }
            if !argument.hasPrefix("--lang=") { kept.append(argument) }
            index += 1
        }
        return kept
    }
}

@main
enum KysoEntry {
    static func main() async {
        await Kyso.main(KysoLanguage.parserArguments(Array(CommandLine.arguments.dropFirst())))
    }
}

import Foundation

/// One `KEY{attribute} OP "value"` term of a udev rule line.
struct UdevTerm: Equatable {
    var key: String
    var attribute: String?
    var operation: String
    var value: String
}

struct UdevSyntaxError: Error, CustomStringConvertible {
    var line: Int
    var reason: String
    var description: String { "70-kyso-tokens.rules:\(line): \(reason)" }
}

/// A small checker for the subset of udev rule syntax Kyso uses, following udev(7): terms separated by
/// commas, each a key (with `{…}` for ATTR/ENV/ATTRS), an operator, and a double-quoted value; match keys
/// take only `==`/`!=`, assignment keys only assignments. It stands in for `udevadm verify`, which
/// systemd 252 (Debian 12) does not have.
enum UdevRuleSyntax {
    static let matchOnly: Set<String> = [
        "ACTION", "DEVPATH", "KERNEL", "KERNELS", "SUBSYSTEM", "SUBSYSTEMS", "DRIVER", "DRIVERS", "ATTRS", "TAGS",
        "RESULT", "CONST",
    ]
    static let assignOnly: Set<String> = ["OWNER", "GROUP", "MODE", "GOTO", "LABEL", "RUN", "OPTIONS", "IMPORT"]
    static let either: Set<String> = ["ATTR", "ENV", "TAG", "SYMLINK", "TEST", "NAME", "PROGRAM", "SYSCTL"]
    static let withAttribute: Set<String> = ["ATTR", "ATTRS", "ENV", "TEST", "IMPORT", "RUN", "SYSCTL", "CONST"]
    static let matchOperators: Set<String> = ["==", "!="]
    static let assignOperators: Set<String> = ["=", "+=", "-=", ":="]

    /// The terms of every rule line, with its 1-based line number; throws on the first malformed term.
    static func parse(_ text: String) throws -> [(line: Int, terms: [UdevTerm])] {
        var rules: [(Int, [UdevTerm])] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasSuffix("\\") { throw UdevSyntaxError(line: index + 1, reason: "line continuations are not used here") }
            rules.append((index + 1, try terms(of: Substring(line), line: index + 1)))
        }
        return rules
    }

    private static func terms(of line: Substring, line number: Int) throws -> [UdevTerm] {
        var rest = line
        var result: [UdevTerm] = []
        func fail(_ reason: String) -> UdevSyntaxError { UdevSyntaxError(line: number, reason: reason) }
        while !rest.isEmpty {
            let key = rest.prefix { $0.isUppercase || $0 == "_" }
            guard !key.isEmpty else { throw fail("expected a key at \"\(rest)\"") }
            rest = rest.dropFirst(key.count)
            var attribute: String?
            if rest.first == "{" {
                guard let close = rest.firstIndex(of: "}") else { throw fail("unclosed { after \(key)") }
                attribute = String(rest[rest.index(after: rest.startIndex)..<close])
                rest = rest[rest.index(after: close)...]
            }
            rest = rest.drop { $0 == " " }
            let operation = ["==", "!=", "+=", "-=", ":=", "="].first { rest.hasPrefix($0) }
            guard let operation else { throw fail("expected an operator after \(key)") }
            rest = rest.dropFirst(operation.count).drop { $0 == " " }
            guard rest.first == "\"", let close = rest.dropFirst().firstIndex(of: "\"") else {
                throw fail("the value of \(key) must be double-quoted")
            }
            let value = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
            if rest.first == "," { rest = rest.dropFirst().drop { $0 == " " } } else if !rest.isEmpty {
                throw fail("expected a comma after \(key)")
            }

            let name = String(key)
            guard matchOnly.contains(name) || assignOnly.contains(name) || either.contains(name) else {
                throw fail("unknown key \(name)")
            }
            if withAttribute.contains(name) != (attribute != nil), name != "IMPORT", name != "RUN" {
                throw fail(attribute == nil ? "\(name) needs {…}" : "\(name) takes no {…}")
            }
            if matchOnly.contains(name), !matchOperators.contains(operation) { throw fail("\(name) only matches") }
            if assignOnly.contains(name), !assignOperators.contains(operation) { throw fail("\(name) only assigns") }
            if ["GOTO", "LABEL"].contains(name), operation != "=" { throw fail("\(name) takes =") }
            result.append(UdevTerm(key: name, attribute: attribute, operation: operation, value: value))
        }
        return result
    }
}

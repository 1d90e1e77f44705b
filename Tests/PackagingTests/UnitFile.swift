import Foundation

/// A systemd unit file read as sections of `Key=Value` lines, keeping repeated keys in order.
/// Only what the tests need: no line continuations or quoting (the Kyso units use neither).
struct UnitFile {
    private(set) var sections: [String: [(key: String, value: String)]] = [:]

    init(text: String) {
        var section = ""
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast())
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[section, default: []].append((key, value))
        }
    }

    /// Every value of `key` in `section`, in file order.
    func values(_ section: String, _ key: String) -> [String] {
        (sections[section] ?? []).filter { $0.key == key }.map(\.value)
    }

    /// The value that wins (the last one), or nil when the key is absent.
    func value(_ section: String, _ key: String) -> String? {
        values(section, key).last
    }
}

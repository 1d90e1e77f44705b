import Foundation
import KysoAPI
import KysoTestSupport
import KysoText
import Testing

/// Issue 14: every `kyso` command and its `--help`, run with LANG=vi_VN.UTF-8 on a machine with no vi_VN locale
/// (CI has none; kyso must not need one), against kysod on the SoftHSM lab. No sentence of the English catalog may
/// be left in what kyso prints.
@Suite("kyso in Vietnamese (issue 14)", .serialized)
struct VietnameseCLITests {
    /// What a Vietnamese desktop sets; LANGUAGE and LC_* empty so the test's own environment cannot choose.
    static let vietnamese = ["LANG": "vi_VN.UTF-8", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""]

    static let commands = [
        [], ["doctor"], ["cert"], ["status"], ["tokens"], ["watch"], ["sign"], ["logout"], ["register"], ["bind"],
        ["bindings"], ["unbind"], ["rebind"], ["secret"], ["account"], ["account", "show"], ["audit"], ["browser"],
        ["browser", "origins"], ["account", "set-secret"], ["backup"], ["restore"],
        ["remote"], ["remote", "secret"], ["remote", "otp"],
    ]

    @Test("every command's --help is in Vietnamese, and the detector finds English in the English help")
    func helpTexts() throws {
        let vi = Messages.forLanguage(.vi)
        for command in Self.commands {
            let run = try KysoRun.run(command + ["--help"], environment: Self.vietnamese)
            #expect(run.status == 0, "\(command): \(run)")
            Self.expectNoEnglish(run, "\(command) --help")
            if let name = command.last {
                let key = command == ["account", "set-secret"] ? "setSecret.abstract"
                    : command.count == 2 ? command.joined(separator: ".") + ".abstract" : "\(name).abstract"
                #expect(Self.normalized(run.stdout).contains(Self.normalized(vi(key))), "\(command) --help lacks its abstract: \(run.stdout)")
            }
        }
        // The same check on English output finds English: it would have failed before the catalog.
        let english = try KysoRun.run(["tokens", "--help"], environment: ["LANG": "C", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""])
        #expect(!Self.englishLeft(in: english.stdout).isEmpty, "\(english)")
        // --lang and cert's --vi choose over the environment.
        let chosen = try KysoRun.run(["tokens", "--help", "--lang", "vi"], environment: ["LANG": "C", "LANGUAGE": "", "LC_ALL": ""])
        #expect(Self.englishLeft(in: chosen.stdout).isEmpty && Self.normalized(chosen.stdout).contains(Self.normalized(vi("tokens.abstract"))),
                "\(chosen)")
        let certVI = try KysoRun.run(["cert", "--vi", "--help"], environment: ["LANG": "C", "LANGUAGE": "", "LC_ALL": ""])
        #expect(Self.normalized(certVI.stdout).contains(Self.normalized(vi("cert.abstract"))), "\(certVI)")
    }

    @Test("every command run against kysod on the lab answers in Vietnamese", .timeLimit(.minutes(4)))
    func commandsOnTheLab() async throws {
        let lab = try await LabDaemon.start()
        let socket = ["--socket", lab.daemon.socketPath]
        let folder = lab.directory.appendingPathComponent("vi-cli")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let labToken = try #require(lab.manifest.tokens.first { $0.kind == "enterprise" && $0.certificates.count == 1 })
        let labCertificate = try #require(labToken.certificates.first)
        let taxCode = try #require(labCertificate.taxCode)
        let tokens = try await lab.client.get("/v1/tokens", as: TokenListResponse.self).tokens
        let token = try #require(tokens.first { $0.label == labToken.label })
        let serial = try #require(token.certificates.first).profile.serialNumber.hex
        let document = folder.appendingPathComponent("to-sign.txt")
        try Data("tờ khai hải quan".utf8).write(to: document)
        let conf = lab.directory.appendingPathComponent("softhsm2.conf").path
        let vi = Messages.forLanguage(.vi)

        var runs: [(String, KysoRun)] = []
        func kyso(_ arguments: [String], input: String? = nil, expect status: Int32? = nil) throws -> KysoRun {
            let run = try KysoRun.run(arguments, input: input, environment: Self.vietnamese.merging(["SOFTHSM2_CONF": conf]) { $1 })
            if let status { #expect(run.status == status, "kyso \(arguments.joined(separator: " ")): \(run)") }
            runs.append((arguments.joined(separator: " "), run))
            return run
        }

        let doctor = try kyso(["doctor", "--no-registered-modules", "--module", Lab.softHSMModule] + socket)
        #expect(doctor.stdout.contains(vi("doctor.section.modules")) && doctor.stdout.contains(vi("cert.label.taxCode")), "\(doctor)")
        let certificate = try kyso(["cert", labCertificate.path], expect: 0)
        #expect(certificate.stdout.contains(vi("cert.label.provider")), "\(certificate)")
        _ = try kyso(["cert", folder.appendingPathComponent("none.pem").path], expect: 1)
        _ = try kyso(["status"] + socket, expect: 0)
        // The narrow table (issue 13) shows one status per certificate; --wide has the PIN column too. Both align.
        let table = try kyso(["tokens"] + socket, expect: 0)
        #expect(table.stdout.contains(vi("tokens.column.status")) && table.stdout.contains(vi("tokens.status.valid")), "\(table)")
        Self.expectAligned(table.stdout)
        let wide = try kyso(["tokens", "--wide"] + socket, expect: 0)
        #expect(wide.stdout.contains(vi("tokens.column.pin")) && wide.stdout.contains(vi("pin.short.ok")), "\(wide)")
        Self.expectAligned(wide.stdout)
        _ = try kyso(["bindings"] + socket, expect: 0)
        _ = try kyso(["audit"] + socket, expect: 0)
        // Refused before any PIN, each problem in Vietnamese.
        let precheck = try kyso(["register", "declarant", "--tax-code", "123", "--user-id", "AB", "--terminal-id", "T",
                                 "--certificate", serial, "--pin-stdin"] + socket, input: labToken.pin + "\n", expect: 1)
        #expect(precheck.stderr.contains(vi("register.precheckFailed")), "\(precheck)")
        // The admin account's whole path: register, bind, list, its card, unbind.
        let out = folder.appendingPathComponent("admin").path
        let registered = try kyso(["register", "admin", "--tax-code", taxCode, "--certificate", serial, "--out", out, "--pin-stdin"] + socket,
                                  input: labToken.pin + "\n", expect: 0)
        #expect(registered.stderr.contains("kyso bind "), "\(registered)")
        let bound = try kyso(["bind", out + "/statement.json", out + "/signature.der"] + socket, expect: 0)
        #expect(bound.stdout.contains(vi("binding.bound.admin", ["taxCode": taxCode]).prefix(20)), "\(bound)")
        _ = try kyso(["bindings"] + socket, expect: 0)
        let card = try kyso(["account", "show", taxCode] + socket, expect: 0)
        #expect(card.stdout.contains(vi("account.card.provider")), "\(card)")
        _ = try kyso(["unbind", taxCode, "--yes"] + socket, expect: 0)
        _ = try kyso(["rebind", taxCode, out + "/none.json", out + "/none.der"] + socket)
        // kysod's own details, asked for in Vietnamese (Accept-Language).
        let secret = try kyso(["secret", "ABCDE123", "password"] + socket, expect: 1)
        #expect(secret.stderr.contains("kysod"), "\(secret)")
        let signed = try kyso(["sign", token.id, document.path, "--out", folder.appendingPathComponent("sig.bin").path, "--pin-stdin"] + socket,
                              input: labToken.pin + "\n", expect: 0)
        #expect(signed.stderr.contains("đã ký bằng chứng thư"), "\(signed)")
        _ = try kyso(["logout"] + socket, expect: 0)
        let wrongPIN = try kyso(["sign", token.id, document.path, "--out", folder.appendingPathComponent("sig2.bin").path, "--pin-stdin"] + socket,
                                input: "000000\n", expect: 1)
        #expect(wrongPIN.stderr.contains("token từ chối mã PIN"), "\(wrongPIN)")
        // Backup and a refused restore (issue 13's commands): kyso's lines and kysod's detail in Vietnamese.
        let backupFile = folder.appendingPathComponent("kyso.backup").path
        let saved = try kyso(["backup", backupFile, "--passphrase-stdin"] + socket, input: "cụm mật khẩu sao lưu\n", expect: 0)
        #expect(saved.stdout.contains(vi("backup.saved", ["path": backupFile])), "\(saved)")
        let refused = try kyso(["restore", backupFile, "--passphrase-stdin"] + socket, input: "không phải cụm đó\n", expect: 1)
        #expect(refused.stderr.contains(vi("problem.backup.wrongPassphrase")), "\(refused)")
        let preview = try kyso(["restore", backupFile, "--passphrase-stdin", "--dry-run"] + socket, input: "cụm mật khẩu sao lưu\n", expect: 0)
        #expect(preview.stdout.contains(vi("restore.report.new")) && preview.stdout.contains(vi("restore.report.none")), "\(preview)")
        _ = try kyso(["backup", backupFile, "--passphrase-stdin"] + socket, input: "cụm mật khẩu sao lưu\n", expect: 64)
        _ = try kyso(["account", "set-secret", "ABCDE123", "password", "--stdin"] + socket, input: "pw#2026x\n", expect: 1)
        _ = try kyso(["browser", "origins", "--file", folder.appendingPathComponent("origins.json").path], expect: 0)
        _ = try kyso(["status", "--socket", folder.appendingPathComponent("none.sock").path], expect: 69)

        // kyso watch: the snapshot line, then stopped.
        let watch = try ChildProcess(Lab.productsDirectory.appendingPathComponent("kyso").path, ["watch"] + socket,
                                     environment: Self.vietnamese, name: "kyso watch")
        defer { watch.killNow() }
        try await eventually("kyso watch's snapshot line", timeout: .seconds(20)) { watch.text.contains(" snapshot ") }
        try await watch.stop()
        runs.append(("watch", KysoRun(status: 0, stdout: watch.text, stderr: "")))

        for (command, run) in runs { Self.expectNoEnglish(run, command) }
        try await lab.daemon.stop()
    }

    // MARK: - The check

    /// Fragments of English catalog texts (3 words or more, between parameters) that no Vietnamese text contains.
    static let englishFragments: [String] = {
        let english = Messages.forLanguage(.en)
        let vietnamese = Messages.forLanguage(.vi)
        let viTexts = vietnamese.keys.compactMap { vietnamese.template($0) }.map(normalized)
        var fragments: Set<String> = []
        for key in english.keys {
            guard let text = english.template(key), text != vietnamese.template(key) else { continue }
            for piece in text.split(separator: /\{[A-Za-z0-9]+\}|\n/) {
                let fragment = normalized(String(piece)).trimmingCharacters(in: CharacterSet(charactersIn: " .,:;()"))
                let words = fragment.split(separator: " ").filter { $0.contains { $0.isLetter } }
                guard words.count >= 3, !viTexts.contains(where: { $0.contains(fragment) }) else { continue }
                fragments.insert(fragment)
            }
        }
        return fragments.sorted()
    }()

    /// Whitespace runs as one space: argument-parser wraps help at the terminal width.
    static func normalized(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    static func englishLeft(in output: String) -> [String] {
        let text = normalized(output)
        return englishFragments.filter { text.contains($0) }
    }

    static func expectNoEnglish(_ run: KysoRun, _ command: String) {
        let left = englishLeft(in: run.stdout + "\n" + run.stderr)
        #expect(left.isEmpty, "kyso \(command) left English: \(left)\n\(run)")
    }

    /// The table's fourth column (tax code) starts at the same display column on every line, though Vietnamese
    /// headers and cells take more bytes than columns.
    static func expectAligned(_ table: String) {
        let lines = table.split(separator: "\n").map(String.init)
        guard let header = lines.first, lines.count > 1 else { return }
        let headerColumns = columns(header)
        // Where the header's fourth cell starts: the fourth non-space after a run of two spaces or more.
        var starts: [Int] = [0]
        for index in headerColumns.indices.dropFirst(2) where headerColumns[index].1 != " "
            && headerColumns[index - 1].1 == " " && headerColumns[index - 2].1 == " " {
            starts.append(headerColumns[index].0)
        }
        guard starts.count > 3 else { Issue.record("no fourth column in \(header)"); return }
        let start = starts[3]
        for line in lines.dropFirst() {
            let cells = Dictionary(columns(line).map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
            #expect(cells[start] != nil && cells[start] != " " && cells[start - 1] == " ", "misaligned at column \(start): \(line)\n\(header)")
        }
    }

    /// Each character of `line` with the display column it starts at.
    static func columns(_ line: String) -> [(Int, Character)] {
        var column = 0
        return line.map { character in
            defer { column += displayWidth(String(character)) }
            return (column, character)
        }
    }
}

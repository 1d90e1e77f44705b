import Foundation
import Testing

/// The token USB ids the rules must cover: the team's domain notes, from pcsc-lite CCID
/// readers/supported_readers.txt (vendor, product; nil product = every product of the vendor).
let tokenUSBIDs: [(vendor: String, product: String?, name: String)] = [
    ("096e", "0807", "Feitian ePass2003"),
    ("096e", "080a", "Feitian ePass2003Auto"),
    ("0529", "0620", "SafeNet eToken 5100"),
    ("0529", "0602", "SafeNet eToken 7300"),
    ("08e6", "34cc", "SafeNet eToken 5300"),
    ("163c", "0407", "Watchdata USB Key"),
    ("163c", "0417", "Watchdata USB Key"),
    ("163c", "0418", "Watchdata USB Key"),
    ("163c", "0a03", "Watchdata W5181"),
    ("25dd", nil, "Bit4id"),
]

struct UdevRulesTests {
    static func rules() throws -> [(line: Int, terms: [UdevTerm])] {
        try UdevRuleSyntax.parse(repositoryText("udev/70-kyso-tokens.rules"))
    }

    @Test func everyLineParses() throws {
        let rules = try Self.rules()
        #expect(rules.count > tokenUSBIDs.count)
        let labels = rules.flatMap(\.terms).filter { $0.key == "LABEL" }.map(\.value)
        #expect(Set(labels).count == labels.count, "labels are unique")
        for goto in rules.flatMap(\.terms) where goto.key == "GOTO" {
            #expect(labels.contains(goto.value), "GOTO \(goto.value) has a LABEL")
        }
    }

    /// The parser is not a rubber stamp: each of these broken lines is refused.
    @Test(arguments: [
        #"ATTR{idVendor}=="096e" GOTO="kyso_token""#,          // missing comma
        #"GROUP=="kyso""#,                                      // GROUP only assigns
        #"SUBSYSTEM="usb""#,                                    // SUBSYSTEM only matches
        #"ATTR{idVendor}==096e"#,                               // unquoted value
        #"FOO=="bar""#,                                         // unknown key
        #"ENV=="x""#,                                           // ENV needs {…}
    ])
    func brokenLinesAreRefused(_ line: String) {
        #expect(throws: UdevSyntaxError.self) { try UdevRuleSyntax.parse(line) }
    }

    @Test func everyTokenIDIsListed() throws {
        let rules = try Self.rules()
        for id in tokenUSBIDs {
            let matching = rules.filter { rule in
                let vendor = rule.terms.first { $0.key == "ATTR" && $0.attribute == "idVendor" && $0.operation == "==" }
                let product = rule.terms.first { $0.key == "ATTR" && $0.attribute == "idProduct" && $0.operation == "==" }
                return vendor?.value == id.vendor && product?.value == id.product
                    && rule.terms.contains { $0.key == "GOTO" && $0.value == "kyso_token" }
            }
            #expect(matching.count == 1, "\(id.name) \(id.vendor):\(id.product ?? "*")")
        }
    }

    @Test func bailsOutEarlyAndGrantsOnlyGroupKyso() throws {
        let rules = try Self.rules()
        let firstID = try #require(rules.firstIndex { $0.terms.contains { $0.attribute == "idVendor" } })
        let guards = rules[..<firstID].map(\.terms)
        #expect(guards.contains { $0.contains(UdevTerm(key: "ACTION", attribute: nil, operation: "!=", value: "add|change|bind")) })
        #expect(guards.contains { $0.contains(UdevTerm(key: "SUBSYSTEM", attribute: nil, operation: "!=", value: "usb")) })
        let terms = rules.flatMap(\.terms)
        #expect(terms.filter { $0.key == "MODE" }.map(\.value) == ["0660"])
        #expect(terms.filter { $0.key == "GROUP" }.map(\.value) == ["kyso"])
        #expect(!terms.contains { $0.key == "OWNER" })
        #expect(terms.contains(UdevTerm(key: "TAG", attribute: nil, operation: "+=", value: "systemd")))
        #expect(terms.contains(UdevTerm(key: "ENV", attribute: "SYSTEMD_WANTS", operation: "+=", value: "kysod.service")))
    }
}

/// The rules run by the real udev (`udevadm test`) against fake USB devices: a private mount namespace
/// (`unshare -m`) puts a tmpfs over /sys, /run and /dev, the rules over /etc/udev/rules.d and a group
/// file with `kyso` over /etc/group, so nothing on the host changes and no USB hardware is needed.
/// Needs root (tests run as root in CI); skipped otherwise.
@Suite(.enabled(if: UdevSimulation.isAvailable, "needs root, unshare and udevadm"))
struct UdevSimulationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var vendor: String
        var product: String
        var deviceType = "usb_device"
        var action = "add"
        var isToken: Bool
        var testDescription: String { "\(vendor):\(product) \(deviceType) \(action)" }
    }

    static let cases: [Case] = tokenUSBIDs.map { Case(vendor: $0.vendor, product: $0.product ?? "2351", isToken: true) } + [
        Case(vendor: "25dd", product: "b001", isToken: true),                    // any Bit4id product
        Case(vendor: "096e", product: "0807", action: "bind", isToken: true),
        Case(vendor: "096e", product: "0807", action: "change", isToken: true),
        Case(vendor: "1d6b", product: "0002", isToken: false),                   // a root hub
        Case(vendor: "096e", product: "0808", isToken: false),                   // neighbour of a token id
        Case(vendor: "096e", product: "0807", deviceType: "usb_interface", isToken: false),
        Case(vendor: "096e", product: "0807", action: "remove", isToken: false),
    ]

    @Test(arguments: cases)
    func udevGivesTokensToGroupKysoAndStartsKysod(_ device: Case) throws {
        try withTemporaryDirectory { directory in
            let output = try UdevSimulation.run(device, in: directory)
            #expect(output.contains("Reading rules file: /etc/udev/rules.d/70-kyso-tokens.rules"), "\(output)")
            let problems = output.split(separator: "\n").filter {
                $0.contains("70-kyso-tokens.rules:") && !$0.hasPrefix("1-1:")
            }
            #expect(problems.isEmpty, "udev reported:\n\(problems.joined(separator: "\n"))")
            let applied = output.split(separator: "\n").filter { $0.hasPrefix("1-1: /etc/udev/rules.d/70-kyso-tokens.rules:") }
            let grantsGroup = applied.contains { $0.hasSuffix(" GROUP \(UdevSimulation.kysoGID)") }
            let setsMode = applied.contains { $0.hasSuffix(" MODE 0660") }
            let wantsKysod = output.contains("\nSYSTEMD_WANTS=kysod.service")
            let tagged = output.split(separator: "\n").contains { $0.hasPrefix("CURRENT_TAGS=") && $0.contains(":systemd:") }
            #expect(grantsGroup == device.isToken)
            #expect(setsMode == device.isToken)
            #expect(wantsKysod == device.isToken)
            #expect(tagged == device.isToken)
            #expect(!output.contains("MODE 0666"))
        }
    }
}

enum UdevSimulation {
    /// The gid the fake /etc/group gives `kyso` (any unused number works; udev resolves the name).
    static let kysoGID = 64_999

    static let isAvailable: Bool = {
        guard getuid() == 0, isInstalled("unshare"), isInstalled("udevadm") else { return false }
        return (try? runProgram("unshare", ["-m", "true"]).status) == 0
    }()

    /// Builds one fake device in a private mount namespace and returns `udevadm test`'s output.
    static func run(_ device: UdevSimulationTests.Case, in directory: URL) throws -> String {
        let rules = directory.appendingPathComponent("rules.d")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: repositoryFile("udev/70-kyso-tokens.rules"), to: rules.appendingPathComponent("70-kyso-tokens.rules"))
        let hostGroups = (try? String(contentsOfFile: "/etc/group", encoding: .utf8)) ?? "root:x:0:\n"
        let groups = hostGroups.split(separator: "\n").filter { !$0.hasPrefix("kyso:") }.joined(separator: "\n")
            + "\nkyso:x:\(kysoGID):\n"
        let groupFile = directory.appendingPathComponent("group")
        try groups.write(to: groupFile, atomically: true, encoding: .utf8)

        let script = """
            set -e
            mount --bind "$1" /etc/udev/rules.d
            mount --bind "$2" /etc/group
            mount -t tmpfs kyso-sysfs /sys
            mount -t tmpfs kyso-run /run
            mount -t tmpfs kyso-dev /dev
            D=/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1
            mkdir -p "$D" /sys/bus/usb
            ln -s /sys/bus/usb "$D/subsystem"
            if [ "$5" = usb_device ]; then
                printf 'MAJOR=189\\nMINOR=1\\nDEVNAME=bus/usb/001/002\\nDEVTYPE=usb_device\\nBUSNUM=001\\nDEVNUM=002\\n' > "$D/uevent"
                echo 189:1 > "$D/dev"
            else
                printf 'DEVTYPE=%s\\n' "$5" > "$D/uevent"
            fi
            echo "$3" > "$D/idVendor"
            echo "$4" > "$D/idProduct"
            SYSTEMD_DEVICE_VERIFY_SYSFS=0 udevadm test --action="$6" "$D" 2>&1
            """
        // A test that adds or removes a user meanwhile (SecurityTests' useradd/userdel) renames a new /etc/group into
        // place, which detaches the bind mount over the old one, and udev then reads the host's file without kyso.
        // That is the only way to see "Unknown group 'kyso'" here, so the simulation is run again then.
        var output = ""
        for _ in 1...5 {
            output = try runProgram(
                "unshare", ["-m", "sh", "-c", script, "udev-simulation", rules.path, groupFile.path,
                            device.vendor, device.product, device.deviceType, device.action]).output
            if !output.contains("Unknown group 'kyso'") { break }
        }
        return output
    }
}

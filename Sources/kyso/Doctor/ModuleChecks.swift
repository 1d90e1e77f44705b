import Foundation
import KysoCore
import TokenScan
import PKCS11
import Synchronization

/// Loads PKCS#11 modules and reads their tokens for `kyso doctor`. Blocking: run on a dedicated thread.
enum ModuleChecks {
    static func run(extraModules: [String], registered: Bool, now: Date, timeout: Duration = .seconds(30)) -> ([ModuleSection], [Problem]) {
        var sections: [ModuleSection] = []
        var problems: [Problem] = []
        var loaded: [(PKCS11Module, String)] = []

        if registered {
            for module in PKCS11Module.loadRegistered() {
                switch module {
                case .loaded(let module): loaded.append((module, "p11-kit"))
                case .failed(let name, let path, let error):
                    sections.append(failedSection(name: name, path: path, source: "p11-kit", error: error))
                    problems.append(Problem(
                        severity: .warning, what: "PKCS#11 module \(name) (\(path)) failed to start: \(error)",
                        fix: fixForFailedInitialize(name: name, error: error)))
                }
            }
        }
        for path in extraModules {
            do throws(PKCS11Error) {
                loaded.append((try PKCS11Module.load(path: path), "--module"))
            } catch {
                sections.append(failedSection(name: (path as NSString).lastPathComponent, path: path, source: "--module", error: error))
                problems.append(Problem(severity: .error, what: "PKCS#11 module \(path) could not be used: \(error)",
                                        fix: fixForFailedLoad(path: path, error: error)))
            }
        }

        for (module, source) in loaded {
            guard let (section, moduleProblems) = checkWithin(timeout, module: module, source: source, now: now) else {
                // Stuck inside the module: C_Finalize would wait behind the same call, so leave it unfinalised.
                var section = ModuleSection(
                    name: module.name, path: module.path, source: source, loaded: true,
                    error: "did not answer within \(Int(timeout.components.seconds)) s", trustPolicy: module.isTrustPolicy, library: nil, tokens: [])
                section.stuck = true
                sections.append(section)
                problems.append(Problem(
                    severity: .error, what: "PKCS#11 module \(module.name) did not answer within \(Int(timeout.components.seconds)) s: a call into it is stuck.",
                    fix: "Re-plug the token or card. A module stuck inside the token's driver (OpenSC 0.23 after a card is pulled "
                        + "mid-operation) stays stuck until the program using it restarts: restart kysod (systemctl restart kysod)."))
                continue
            }
            sections.append(section)
            problems += moduleProblems
            module.finalize()
        }

        let tokenCount = sections.filter { !$0.trustPolicy }.reduce(0) { $0 + $1.tokens.count }
        if tokenCount == 0 {
            problems.append(Problem(
                severity: .warning, what: "No token was found in any PKCS#11 module.",
                fix: "Plug the token in (for a smartcard, check that its reader is listed above). Tokens whose vendor "
                    + "module is not registered with p11-kit need it named: kyso doctor --module /path/to/vendor-pkcs11.so "
                    + "(e.g. Feitian libcastle.so, SafeNet libeTPkcs11.so)."))
        }
        return (sections, problems)
    }

    /// `check` on a thread of its own; nil when the module has not answered within `timeout` (the thread stays blocked).
    static func checkWithin(_ timeout: Duration, module: PKCS11Module, source: String, now: Date) -> (ModuleSection, [Problem])? {
        let result = Mutex<(ModuleSection, [Problem])?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let checked = check(module: module, source: source, now: now)
            result.withLock { $0 = checked }
            done.signal()
        }
        thread.name = "kyso-doctor-\(module.name)"
        thread.start()
        let (seconds, attoseconds) = timeout.components
        guard done.wait(timeout: .now() + .nanoseconds(Int(seconds * 1_000_000_000 + attoseconds / 1_000_000_000))) == .success else {
            return nil
        }
        return result.withLock { $0 }
    }

    static func check(module: PKCS11Module, source: String, now: Date) -> (ModuleSection, [Problem]) {
        var problems: [Problem] = []
        var section = ModuleSection(
            name: module.name, path: module.path, source: source, loaded: true, error: nil,
            trustPolicy: module.isTrustPolicy, library: nil, tokens: [])
        do throws(PKCS11Error) {
            let info = try module.info()
            section.library = LibrarySection(
                manufacturer: info.manufacturerID, description: info.libraryDescription,
                version: info.libraryVersion.description, cryptokiVersion: info.cryptokiVersion.description)
        } catch {
            section.error = error.description
        }
        // Trust modules list CA certificates, not tokens one signs with; reading them is noise.
        guard !module.isTrustPolicy else { return (section, problems) }
        do throws(PKCS11Error) {
            let scan = try TokenScanner.scan(module: module)
            for token in scan.tokens {
                let (tokenSection, tokenProblems) = TokenReport.section(for: token, now: now)
                section.tokens.append(tokenSection)
                problems += tokenProblems
            }
            for failure in scan.failedSlots {
                problems.append(Problem(
                    severity: .warning, what: "\(module.name): the token in slot \(failure.slot) could not be read: \(failure.error)",
                    fix: fixForTokenError(failure.error)))
            }
        } catch {
            section.error = error.description
            problems.append(Problem(severity: .warning, what: "\(module.name): could not list slots: \(error)",
                                    fix: "Re-plug the token; if it persists, run the module's own tool to check it."))
        }
        return (section, problems)
    }

    private static func failedSection(name: String, path: String, source: String, error: PKCS11Error) -> ModuleSection {
        ModuleSection(name: name, path: path, source: source, loaded: false, error: error.description,
                      trustPolicy: false, library: nil, tokens: [])
    }

    static func fixForFailedLoad(path: String, error: PKCS11Error) -> String {
        if !FileManager.default.fileExists(atPath: path) {
            return "There is no file at \(path). Check the path, or install the vendor's PKCS#11 module (for OpenSC: apt install opensc-pkcs11)."
        }
        return "The file exists but is not a loadable PKCS#11 module for this system. Check it with `file \(path)`: "
            + "a 32-bit module (some CA vendors ship one) cannot load in a 64-bit program; ask the vendor for a 64-bit Linux module."
    }

    static func fixForFailedInitialize(name: String, error: PKCS11Error) -> String {
        if name.contains("softhsm") {
            return "SoftHSM could not read its configuration or token folder: set SOFTHSM2_CONF to a readable softhsm2.conf, "
                + "or ignore this if you do not use SoftHSM."
        }
        return "The module refused to start. Reinstall it, or remove its file from /usr/share/p11-kit/modules if it is not needed."
    }

    static func fixForTokenError(_ error: PKCS11Error) -> String {
        switch error.returnValue {
        case .tokenNotRecognized?: "The module does not recognise this token: it may need its vendor's module (--module PATH)."
        case .deviceRemoved?, .tokenNotPresent?: "The token was removed while being read; plug it in again."
        default: "Re-plug the token; if it persists, check it with the vendor's tool or `pkcs11-tool -L`."
        }
    }
}

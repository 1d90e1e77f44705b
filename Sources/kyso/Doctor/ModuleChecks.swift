import Foundation
import KysoText
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
                        severity: .warning, what: tr("doctor.module.failedStart", ["module": name, "path": path, "error": "\(error)"]),
                        fix: fixForFailedInitialize(name: name, error: error)))
                }
            }
        }
        for path in extraModules {
            do throws(PKCS11Error) {
                loaded.append((try PKCS11Module.load(path: path), "--module"))
            } catch {
                sections.append(failedSection(name: (path as NSString).lastPathComponent, path: path, source: "--module", error: error))
                problems.append(Problem(severity: .error, what: tr("doctor.module.unusable", ["path": path, "error": "\(error)"]),
                                        fix: fixForFailedLoad(path: path, error: error)))
            }
        }

        for (module, source) in loaded {
            guard let (section, moduleProblems) = checkWithin(timeout, module: module, source: source, now: now) else {
                // Stuck inside the module: C_Finalize would wait behind the same call, so leave it unfinalised.
                var section = ModuleSection(
                    name: module.name, path: module.path, source: source, loaded: true,
                    error: tr("doctor.module.noAnswer", ["seconds": String(timeout.components.seconds)]), trustPolicy: module.isTrustPolicy, library: nil, tokens: [])
                section.stuck = true
                sections.append(section)
                problems.append(Problem(
                    severity: .error, what: tr("doctor.module.stuck.what", ["module": module.name, "seconds": String(timeout.components.seconds)]),
                    fix: tr("doctor.module.stuck.fix")))
                continue
            }
            sections.append(section)
            problems += moduleProblems
            module.finalize()
        }

        let tokenCount = sections.filter { !$0.trustPolicy }.reduce(0) { $0 + $1.tokens.count }
        if tokenCount == 0 {
            problems.append(Problem(
                severity: .warning, what: tr("doctor.noToken.what"), fix: tr("doctor.noToken.fix")))
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
                    severity: .warning, what: tr("doctor.slot.unreadable", ["module": module.name, "slot": String(failure.slot), "error": "\(failure.error)"]),
                    fix: fixForTokenError(failure.error)))
            }
        } catch {
            section.error = error.description
            problems.append(Problem(severity: .warning, what: tr("doctor.slots.unlisted", ["module": module.name, "error": "\(error)"]),
                                    fix: tr("doctor.slots.unlisted.fix")))
        }
        return (section, problems)
    }

    private static func failedSection(name: String, path: String, source: String, error: PKCS11Error) -> ModuleSection {
        ModuleSection(name: name, path: path, source: source, loaded: false, error: error.description,
                      trustPolicy: false, library: nil, tokens: [])
    }

    static func fixForFailedLoad(path: String, error: PKCS11Error) -> String {
        if !FileManager.default.fileExists(atPath: path) {
            return tr("doctor.fix.noFile", ["path": path])
        }
        return tr("doctor.fix.notLoadable", ["path": path])
    }

    static func fixForFailedInitialize(name: String, error: PKCS11Error) -> String {
        if name.contains("softhsm") {
            return tr("doctor.fix.softhsm")
        }
        return tr("doctor.fix.refusedStart")
    }

    static func fixForTokenError(_ error: PKCS11Error) -> String {
        switch error.returnValue {
        case .tokenNotRecognized?: tr("doctor.fix.tokenNotRecognized")
        case .deviceRemoved?, .tokenNotPresent?: tr("doctor.fix.tokenRemoved")
        default: tr("doctor.fix.tokenOther")
        }
    }
}

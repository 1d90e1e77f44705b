import KysoCore
import KysoText

/// The one line `kyso doctor` starts with, so the answer comes before the detail (issue 13): "3 tokens ready,
/// 1 certificate expired". A token is ready when it reads without error, its PIN can be used (not locked, set) and
/// it holds at least one certificate that is valid now with its private key. A token with no certificate at all is
/// counted as blank (SoftHSM's spare slot, or a real token that was reset), not as a token that failed.
enum DoctorSummary {
    static func line(_ report: DoctorReport) -> String {
        // One token seen through two modules (registered with p11-kit and given with --module) is one token: its
        // URI names the token (manufacturer, model, serial, label), not the module.
        var seenTokens: Set<String> = []
        let all = report.modules.filter { $0.loaded && !$0.trustPolicy }.flatMap(\.tokens).filter { seenTokens.insert($0.uri).inserted }
        let tokens = all.filter { !$0.certificates.isEmpty }
        let certificates = tokens.flatMap(\.certificates).compactMap(\.profile)
        // One certificate on two tokens (or seen through two modules) is one certificate.
        var seen: Set<String> = []
        let distinct = certificates.filter { seen.insert($0.fingerprints.sha256).inserted }
        let ready = tokens.filter(isReady).count
        var parts = [count(ready, "ready")]
        if tokens.count > ready { parts.append(count(tokens.count - ready, "notReady")) }
        if all.count > tokens.count { parts.append(count(all.count - tokens.count, "blank")) }
        let expired = distinct.filter { $0.status == .expired }.count
        let expiring = distinct.filter { $0.status == .expiringSoon }.count
        if expired > 0 { parts.append(count(expired, "expired")) }
        if expiring > 0 { parts.append(count(expiring, "expiring")) }
        let errors = report.problems.filter { $0.severity == .error }.count
        let warnings = report.problems.filter { $0.severity == .warning }.count
        if errors > 0 { parts.append(count(errors, "errors")) }
        if warnings > 0 { parts.append(count(warnings, "warnings")) }
        return parts.joined(separator: ", ")
    }

    static func isReady(_ token: TokenSection) -> Bool {
        guard token.error == nil, token.pin.state != .locked, token.pin.state != .notInitialized else { return false }
        return token.certificates.contains { certificate in
            guard let profile = certificate.profile, certificate.privateKeyOnToken else { return false }
            return profile.status == .valid || profile.status == .expiringSoon
        }
    }

    /// `doctor.summary.<what>.one` or `.other` (English needs both; Vietnamese says the same for any number).
    private static func count(_ number: Int, _ what: String) -> String {
        tr("doctor.summary.\(what).\(number == 1 ? "one" : "other")", ["count": tr.number(number)])
    }
}

import ArgumentParser
import Foundation
import KysoAPI
import KysoCore
import KysoText
#if canImport(Glibc)
import Glibc
#endif

/// What `kyso sign` and `kyso register` add for a remote credential: the one-time password, and telling the holder
/// to approve on their phone while kysod waits.
struct OTPInput: ParsableArguments {
    @Option(name: .customLong("otp-fd"), help: ArgumentHelp(tr("otp.option.fd.help"), valueName: "N"))
    var otpFD: Int32?

    @Flag(name: .customLong("send-otp"), help: ArgumentHelp(tr("otp.option.send.help")))
    var sendOTP = false

    /// The OTP when the credential asks for one: from --otp-fd, else asked on the terminal (after --send-otp has it sent).
    func read(for token: TokenInfoResponse?, client: KysoClient) async throws -> SecretBytes? {
        guard let token, token.remote?.authorisation.contains(.otp) == true else { return nil }
        if sendOTP {
            let response = try await client.request(.POST, "/v1/tokens/\(token.id)/otp")
            guard response.status == 204 else { throw response.problem() }
            Output.error(tr("remote.otp.sending"))
        }
        if let otpFD {
            guard let line = try TerminalPrompt.line(from: otpFD), !line.isEmpty else { throw ValidationError(tr("otp.error.noneOnFD", ["fd": String(otpFD)])) }
            return line
        }
        guard isatty(STDIN_FILENO) == 1 else { throw ValidationError(tr("otp.error.noTerminal")) }
        return try TerminalPrompt.askWithoutEcho(tr("otp.prompt", ["token": token.label]))
    }
}

enum ApprovalNotice {
    /// Watches kysod's events while `body` runs and tells the holder to approve when the service waits for them.
    static func whileSigning<T: Sendable>(_ token: TokenInfoResponse?, client: KysoClient, _ body: () async throws -> T) async throws -> T {
        guard let token, token.kind == .remote else { return try await body() }
        let tokenId = token.id
        let watcher = Task {
            do {
                for try await event in client.events() where event.event == EventType.signatureAwaitingApproval.rawValue {
                    guard let decoded = try? APIJSON.decoder().decode(DaemonEvent.self, from: Data(event.data.utf8)),
                          decoded.data.tokenId == tokenId else { continue }
                    Output.error(decoded.data.deadline.map { tr("approval.noticeUntil", ["time": RemoteTokenText.clock($0)]) }
                                 ?? tr("approval.notice"))
                }
            } catch {}
        }
        defer { watcher.cancel() }
        // The stream's snapshot comes first: give it a moment so an announcement is not missed.
        try? await Task.sleep(for: .milliseconds(50))
        return try await body()
    }
}

import Foundation
import KysoTestSupport

/// kyso-browser-host started as a browser starts it: framed JSON on its stdin and stdout.
final class HostProcess {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()

    init(environment: [String: String]) throws {
        process.executableURL = Lab.productsDirectory.appendingPathComponent("kyso-browser-host")
        process.arguments = ["chrome-extension://\(BrowserFixture.extensionID)/"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func send(_ json: String) throws { try sendFrame(length: UInt32(json.utf8.count), body: Data(json.utf8)) }

    func sendFrame(length: UInt32, body: Data) throws {
        var length = length.littleEndian
        try input.fileHandleForWriting.write(contentsOf: Data(bytes: &length, count: 4) + body)
    }

    /// The next reply as a JSON object, or nil when the host closed its stdout.
    func receive() throws -> [String: Any]? {
        guard let header = try output.fileHandleForReading.read(upToCount: 4), header.count == 4 else { return nil }
        let length = header.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        var body = Data()
        while body.count < Int(length) {
            guard let chunk = try output.fileHandleForReading.read(upToCount: Int(length) - body.count), !chunk.isEmpty else { return nil }
            body += chunk
        }
        return try JSONSerialization.jsonObject(with: body) as? [String: Any]
    }

    func ask(_ json: String) throws -> [String: Any] {
        try send(json)
        guard let reply = try receive() else { throw TestFailure("kyso-browser-host closed its stdout") }
        return reply
    }

    func closeInput() throws { try input.fileHandleForWriting.close() }

    /// Waits for the exit (at most `seconds`); nil when it is still running.
    func exitStatus(within seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Closing stdin is how a browser ends the host; SIGKILL after that, since the test process may pass a blocked
    /// or ignored SIGTERM on to its children.
    deinit {
        try? input.fileHandleForWriting.close()
        if exitStatus(within: 2) == nil {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

extension Dictionary where Key == String, Value == Any {
    var errorCode: String? { (self["error"] as? [String: Any])?["code"] as? String }
}

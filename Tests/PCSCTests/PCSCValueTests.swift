import Foundation
import KysoTestSupport
@testable import PCSC
import Testing

@Suite("PCSC values (no pcscd)")
struct PCSCValueTests {
    @Test("return codes carry their pcsclite.h names")
    func codeNames() {
        #expect(PCSCError.Code.noService.name == "SCARD_E_NO_SERVICE")
        #expect(PCSCError.Code.securityViolation.name == "SCARD_W_SECURITY_VIOLATION")
        #expect(PCSCError.Code.cancelled.name == "SCARD_E_CANCELLED")
        #expect(PCSCError.Code(rawValue: 0x1234).name == "SCARD_0x1234")
    }

    @Test("the polkit refusal names the rule that fixes it")
    func securityViolationHint() throws {
        let hint = try #require(PCSCError.Code.securityViolation.hint)
        #expect(hint.contains("50-kyso-pcscd.rules"))
        #expect(hint.contains("org.debian.pcsc-lite.access_pcsc"))
    }

    @Test("an error describes function, name and hex code")
    func errorDescription() {
        let error = PCSCError(code: .noReadersAvailable, function: "SCardListReaders")
        #expect(error.description == "SCardListReaders failed: SCARD_E_NO_READERS_AVAILABLE (0x8010002E)")
    }

    @Test("state flags: words in header order, high 16 bits dropped")
    func flagWords() {
        let flags: ReaderStateFlags = [.present, .inUse, .changed]
        #expect(flags.words == ["changed", "present", "inUse"])
        #expect(ReaderStateFlags(rawValue: 0x0003_0020) == .present)
        #expect(ReaderStateFlags(words: ["present", "mute", "nonsense"]) == [.present, .mute])
    }

    @Test("acknowledge makes the event state current, without CHANGED")
    func acknowledge() {
        var state = ReaderState(reader: "r")
        state.eventState = [.present, .changed]
        state.eventCount = 7
        state.acknowledge()
        #expect(state.currentState == .present)
        #expect(state.currentEventCount == 7)
    }

    @Test("reader multi-strings split on NUL")
    func multiString() {
        let bytes: [CChar] = Array("A 00 00\0B 00 01\0\0".utf8).map { CChar(bitPattern: $0) }
        #expect(PCSCContext.splitMultiString(bytes[...]) == ["A 00 00", "B 00 01"])
        #expect(PCSCContext.splitMultiString([0][...]).isEmpty)
    }

    @Test("a reader snapshot encodes as camelCase JSON with a lower-case hex ATR, and decodes back")
    func snapshotJSON() throws {
        let snapshot = ReaderSnapshot(name: "Kyso vpcd 1 00 00", cardPresent: true, atr: [0x3B, 0x8B, 0xC8],
                                      flags: [.present, .inUse])
        let json = try JSONEncoder().encode(snapshot)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["atr"] as? String == "3b8bc8")
        #expect(object["cardPresent"] as? Bool == true)
        #expect(object["state"] as? [String] == ["present", "inUse"])
        #expect(try JSONDecoder().decode(ReaderSnapshot.self, from: json) == snapshot)
    }
}

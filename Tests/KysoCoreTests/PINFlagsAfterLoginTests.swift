import KysoCore
import Testing

@Suite("PIN flags read right after a successful login")
struct PINFlagsAfterLoginTests {
    let finalTry = PINStatus(locked: false, finalTry: true, countLow: true)
    let countLow = PINStatus(locked: false, finalTry: false, countLow: true)

    @Test("a final-try flag still reported after a successful login is a leftover: the counter counts as reset")
    func leftoverDiscounted() throws {
        let memory = try #require(PINFlagsAfterLogin(reportedAfterSuccess: finalTry))
        #expect(memory.effective(finalTry).state == .ok)
        #expect(PINPolicy.decide(memory.effective(finalTry), allowFinalTry: false) == .proceed)
    }

    @Test("any change after the login is believed: a lock, or another program's wrong PIN")
    func changesBelieved() throws {
        let memory = try #require(PINFlagsAfterLogin(reportedAfterSuccess: countLow))
        #expect(memory.effective(finalTry).state == .finalTry)
        #expect(memory.effective(PINStatus(locked: true, finalTry: false, countLow: false)).state == .locked)
    }

    @Test("clean flags after a login leave nothing to discount")
    func nothingToRemember() {
        #expect(PINFlagsAfterLogin(reportedAfterSuccess: PINStatus(locked: false, finalTry: false, countLow: false)) == nil)
        #expect(PINFlagsAfterLogin(reportedAfterSuccess: PINStatus(locked: true, finalTry: false, countLow: false)) == nil)
    }
}

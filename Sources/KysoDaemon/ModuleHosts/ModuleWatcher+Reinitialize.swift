import Foundation
import Logging
import PKCS11

extension ModuleWatcher {
    /// When an in-process module that counts as failed is initialised again.
    ///
    /// A module loaded into kysod cannot be restarted like a hosted one, but it can be finalised and initialised
    /// again; some need it. p11-kit's RPC client (`p11-kit-client.so`, a token server reached over an SSH forward)
    /// answers CKR_DEVICE_ERROR to every call once its connection dropped, until `C_Initialize` connects it anew: without
    /// this the token never came back when the forward did. Attempts follow `HostRestartBackoff`'s delays (at once,
    /// then up to every 30 s), so a module that stays broken costs one `C_Finalize`/`C_Initialize` pair per 30 s.
    struct Reinitialization: Sendable {
        private var backoff = HostRestartBackoff()
        private var notBefore = ContinuousClock.now
        /// Re-initialised, but the module showed no slot at all since: p11-kit's RPC client initialises "empty"
        /// (CKR_OK, no slots) when its server is not there, and stays so until initialised once more.
        private(set) var awaitingSlots = false

        /// True when a re-initialisation is due now (and books the delay before the next one).
        mutating func isDue(now: ContinuousClock.Instant = .now) -> Bool {
            guard now >= notBefore else { return false }
            notBefore = now + backoff.nextDelay(now: now)
            return true
        }

        /// What a re-initialisation found: slots (done; the next failure starts the delays anew) or none.
        mutating func finished(slotsSeen: Bool) {
            awaitingSlots = !slotsSeen
            if slotsSeen {
                backoff = HostRestartBackoff()
                notBefore = .now
            }
        }
    }

    /// Blocking, on the scanner thread, once the module counts as failed (its tokens are withdrawn, so no new key
    /// operation reaches it; one already inside the module when it failed is the risk PKCS#11 leaves to the caller).
    /// `C_Finalize` also ends a `C_WaitForSlotEvent` on the event thread, which then falls back to polling.
    /// True when the module initialised and lists at least one slot (with or without a token).
    func reinitialize() -> Bool {
        logger.notice("initialising the module again", metadata: ["module": "\(module.name)"])
        module.finalize()
        do throws(PKCS11Error) {
            try watched("C_Initialize") { () throws(PKCS11Error) in try module.initialize() }
            let slots = try watched("C_GetSlotList") { () throws(PKCS11Error) in try module.slots(tokenPresent: false) }
            return !slots.isEmpty
        } catch {
            // If still finalised, the wrapper answers CKR_CRYPTOKI_NOT_INITIALIZED until a later attempt succeeds.
            logger.warning("the module did not initialise again", metadata: ["module": "\(module.name)", "error": "\(error)"])
            return false
        }
    }
}

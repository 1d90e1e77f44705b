import ProcessConfinement

/// What kysod does to its own process before it touches a PIN or a secret: no core file (a crash would write the
/// PINs and secrets in memory to disk) and not dumpable (another process of the same uid, such as a vendor
/// module's host running as `kyso`, cannot ptrace it or read its memory through /proc).
public enum ProcessHardening {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func apply() throws(Failure) {
        do throws(ProcessConfinement.Failure) {
            try ProcessConfinement.protectMemory()
        } catch {
            throw Failure(description: error.description)
        }
    }
}

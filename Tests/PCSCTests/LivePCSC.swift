import Testing

/// Every test that runs a private pcscd lives in an extension of this suite: libpcsclite binds one
/// socket path per process, so these tests take turns. They are skipped when pcscd or vpcd is missing.
@Suite("Against a private pcscd with virtual cards", .serialized, .enabled(if: PrivatePCSCD.isAvailable))
struct LivePCSC {}

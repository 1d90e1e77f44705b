// swift-tools-version: 6.1
// Kyso: USB tokens and smartcards for Vietnamese customs declarants (VNACCS/VCIS).
//
// Data flows C → wrappers → domain → (daemon → API) → clients:
//   CPCSCLite, CP11Kit   system-library shims that include the real C headers
//   PCSC, PKCS11         the only importers of those shims: thin, checked wrappers
//   KysoText             the message catalog (gettext PO, English and Vietnamese), language choice, local formats
//   KysoCore             pure domain: certificate profile, tax codes, CA table (no I/O)
//   TokenScan            reads tokens once into plain values (certificates, key presence, URIs); blocking
//   KysoStore            SQLite through GRDB: account bindings, sealed secrets, audit (migrations in one place)
//   ReaderMonitoring     readers and cards as pcscd reports them, as events (kysod and `kyso watch --direct`)
//   KysoAPI              JSON wire types and enums, ProblemCode, the HTTP-over-Unix-socket client shared by kysod
//                        and kyso; openapi.yaml beside them is the contract the tests check
//   KysoRemote           a Cloud Signature Consortium API client: remote signing credentials (HTTPS, no daemon)
//   KysoDaemon           services under swift-service-lifecycle, the KeyBackend seam, the HTTP edge
//                        (docs/architecture.md)
//   kysod, kyso          the daemon and the command-line tool (kyso links no daemon code)
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Kyso",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kyso", targets: ["kyso"]),
        .executable(name: "kysod", targets: ["kysod"]),
        .executable(name: "kyso-module-host", targets: ["kyso-module-host"]),
        .executable(name: "kyso-browser-host", targets: ["kyso-browser-host"]),
        .library(name: "KysoCore", targets: ["KysoCore"]),
        .library(name: "PKCS11", targets: ["PKCS11"]),
        .library(name: "PCSC", targets: ["PCSC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(
            name: "CPCSCLite",
            pkgConfig: "libpcsclite",
            providers: [.apt(["libpcsclite-dev"])]
        ),
        .systemLibrary(
            name: "CP11Kit",
            pkgConfig: "p11-kit-1",
            providers: [.apt(["libp11-kit-dev"])]
        ),
        // sd-bus (libsystemd): the session D-Bus, for desktop notifications; imported by DesktopNotifications only.
        .systemLibrary(
            name: "CSystemdBus",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // The only importer of CSystemdBus: freedesktop notifications shown from a thread of its own.
        .target(
            name: "DesktopNotifications",
            dependencies: ["CSystemdBus", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strict
        ),
        // `kyso notify`: kysod's events as desktop notifications, each reminder once (its state in $XDG_STATE_HOME).
        .target(
            name: "KysoNotify",
            dependencies: ["KysoAPI", "KysoCore", "KysoText", "DesktopNotifications", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strict
        ),
        // prctl and unshare for processes that confine themselves (kysod, the module host).
        .systemLibrary(name: "CLinuxProcess"),
        // The only importer of CLinuxProcess: no core dumps, not dumpable, die with the parent, no network.
        .target(name: "ProcessConfinement", dependencies: ["CLinuxProcess"], swiftSettings: strict),
        .target(
            name: "PCSC",
            dependencies: ["CPCSCLite"],
            swiftSettings: strict
        ),
        .target(
            name: "PKCS11",
            dependencies: ["CP11Kit"],
            swiftSettings: strict
        ),
        // Readers and cards as pcscd reports them, watched on a thread of its own and told as events; used by kysod and
        // by `kyso watch --direct`, so it depends on PC/SC only.
        .target(
            name: "ReaderMonitoring",
            dependencies: [
                "PCSC",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Every text a person reads, in English and Vietnamese: po/*.po embedded at build time by EmbedCatalog
        // (Messages explains why), the language from the environment or Accept-Language, dates and display widths.
        .target(name: "KysoText", exclude: ["po"], swiftSettings: strict, plugins: ["EmbedCatalog"]),
        .plugin(name: "EmbedCatalog", capability: .buildTool()),
        .testTarget(name: "KysoTextTests", dependencies: ["KysoText"], swiftSettings: strict),
        .target(
            name: "KysoCore",
            dependencies: [
                // Findings (warnings, statuses, refusals) as catalog messages; worded by whoever knows the reader.
                "KysoText",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TokenScan",
            dependencies: ["PKCS11", "KysoCore"],
            swiftSettings: strict
        ),
        .target(
            name: "KysoAPI",
            dependencies: [
                "KysoCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            resources: [.copy("openapi.yaml")],
            swiftSettings: strict
        ),
        // Remote signing services (Viettel MySign, VNPT SmartCA style) through the CSC API v1.0.4 and v2.0.
        .target(
            name: "KysoRemote",
            dependencies: [
                "KysoCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "KysoDaemon",
            dependencies: [
                "PCSC", "PKCS11", "KysoCore", "TokenScan", "KysoAPI", "KysoStore", "ProcessConfinement", "ReaderMonitoring",
                "KysoText",
                // RemoteKeyBackend: remote signing credentials behind the KeyBackend seam.
                "KysoRemote",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "kysod",
            dependencies: [
                "KysoDaemon", "KysoAPI", "KysoStore", "ReaderMonitoring", "KysoText",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // One PKCS#11 module in a process of its own, started, watched and replaced by kysod (docs/module-hosts.md).
        .executableTarget(
            name: "kyso-module-host",
            dependencies: [
                "PKCS11", "ProcessConfinement",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Signing from web pages (docs/browser.md): pinentry dialogs and the origins a person allowed, shared by the
        // native-messaging host and `kyso browser`.
        .target(name: "KysoBrowser", dependencies: ["KysoAPI", "KysoCore"], swiftSettings: strict),
        .executableTarget(
            name: "kyso-browser-host",
            dependencies: ["KysoAPI", "KysoBrowser", "KysoCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "kyso",
            dependencies: [
                "KysoText", "PCSC", "PKCS11", "KysoCore", "TokenScan", "ReaderMonitoring", "KysoAPI", "KysoBrowser", "KysoNotify",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KysoCoreTests",
            dependencies: ["KysoCore", "KysoText"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PKCS11Tests",
            dependencies: [
                "PKCS11", "KysoCore", "TokenScan", "KysoTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strict
        ),
        // What the tests and kyso-bench share: the SoftHSM lab, kysod and other child processes, a private pcscd with
        // vpcd readers and virtual cards, temporary folders and one failure type.
        .target(name: "KysoTestSupport", dependencies: ["KysoAPI"], path: "Tests/KysoTestSupport", swiftSettings: strict),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "KysoAPI", "KysoCore", "KysoDaemon", "KysoTestSupport", "kysod", "kyso", "kyso-module-host", "KysoText",
                .product(name: "NIOCore", package: "swift-nio"),
                // BindingProofTests wraps a raw signature in a CMS, as an attacker would.
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // Run by OpenAPIContractTests with python3, not built.
            exclude: ["openapi-check.py"],
            swiftSettings: strict
        ),
        // The daemon core in process, with fakes behind its seams (a software key backend, an in-memory database).
        .testTarget(
            name: "DaemonCoreTests",
            dependencies: [
                "KysoDaemon", "KysoAPI", "KysoCore", "TokenScan", "KysoStore", "PKCS11",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PCSCTests",
            dependencies: ["PCSC", "ReaderMonitoring", "PKCS11", "KysoCore", "KysoTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // kyso and kysod: `make install` in the tests writes manual pages and completions from the built binaries.
        .testTarget(name: "PackagingTests", dependencies: ["kyso", "kysod"], swiftSettings: strict),
        // `kyso notify` against kysod, seen by a notification server on a private session bus (dbus-daemon, Xvfb).
        .testTarget(
            name: "NotifyTests",
            dependencies: ["KysoAPI", "KysoCore", "KysoNotify", "DesktopNotifications", "KysoTestSupport", "kysod", "kyso",
                           .product(name: "Crypto", package: "swift-crypto"), .product(name: "X509", package: "swift-certificates"),
                           .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: strict
        ),
        // The browser bridge: the host's pieces, and Chromium headless with the extension against kysod on the lab.
        .testTarget(
            name: "BrowserTests",
            dependencies: ["KysoAPI", "KysoBrowser", "KysoTestSupport", "kysod", "kyso", "kyso-browser-host",
                           .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["fake-pinentry.py", "fake-kysod.py", "browser-run.py", "pages"],
            swiftSettings: strict
        ),
        .target(
            name: "KysoStore",
            dependencies: [
                "KysoCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strict
        ),
        // Writes bindings until killed; KysoStoreTests sends it SIGKILL to prove no half-written row survives.
        .executableTarget(
            name: "kyso-store-crash-writer",
            dependencies: ["KysoStore", "KysoCore", .product(name: "Crypto", package: "swift-crypto")],
            path: "Tests/KysoStoreCrashWriter",
            swiftSettings: strict
        ),
        .testTarget(
            name: "KysoStoreTests",
            dependencies: [
                "KysoStore", "KysoCore", "KysoTestSupport", "kyso-store-crash-writer",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strict
        ),
        // `make bench`: kysod and kyso against p11tool, pkcs11-tool and direct C_Sign (docs/benchmarks.md).
        .executableTarget(
            name: "kyso-bench",
            dependencies: [
                "KysoAPI", "KysoCore", "KysoTestSupport", "PKCS11", "PCSC", "KysoRemote",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // The HTTP and JSON edge as one function of bytes: a libFuzzer target when Tools/fuzz/run.sh builds it with
        // -DKYSO_FUZZ and the fuzzer sanitizer, a replayer of saved inputs (the seed corpus, a crash) otherwise.
        .executableTarget(
            name: "kyso-fuzz",
            dependencies: [
                "KysoAPI", "KysoCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tools/fuzz/KysoFuzz",
            swiftSettings: strict
        ),
        // Fault injection against kysod: a fake PKCS#11 module (fake-pkcs11.c, compiled by the tests with cc),
        // pcscd killed and stopped, cards pulled mid-signature, a full state directory.
        .testTarget(
            name: "FaultTests",
            dependencies: [
                "KysoAPI", "KysoStore", "KysoTestSupport", "kysod", "kyso", "kyso-module-host",
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["fake-pkcs11.c"],
            swiftSettings: strict
        ),
        // The CSC client against Tools/csc-test-service on loopback with TLS (docs/remote-signing.md).
        .testTarget(
            name: "RemoteSigningTests",
            dependencies: [
                "KysoRemote", "KysoCore", "KysoTestSupport", "KysoDaemon", "KysoAPI", "KysoStore", "KysoText",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Issue 18's hardening: each case a local attacker found, shown refused (some as unprivileged users the
        // tests create with useradd when run as root).
        .testTarget(
            name: "SecurityTests",
            dependencies: [
                "KysoAPI", "KysoCore", "KysoStore", "KysoTestSupport", "kysod", "kyso",
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
    ]
)

import Foundation
import KysoAPI
public import KysoCore
public import KysoStore

/// kysod's configuration file (JSON, camelCase keys). Every key is optional; the defaults are safe:
/// only root administers, only members of the socket's group read, and nobody signs until granted.
public struct DaemonConfiguration: Codable, Sendable, Equatable {
    public var socket: String?
    /// The group that owns the socket (mode 0660). Default `kyso`; ignored when it does not exist.
    public var group: String?
    public var pollIntervalSeconds: Double?
    /// Keep a token logged in this long after a signature (0 = off, the default; at most 3600).
    public var loginCacheSeconds: Double?
    /// How long one signature may take on a token before the caller is told `token-timeout` (default 20, below
    /// the unit's TimeoutStopSec=30 so a stop during a hung signature still ends cleanly).
    public var signDeadlineSeconds: Double?
    public var modules: Modules?
    public var access: Access?
    public var limits: Limits?
    /// Binding rules (BindingSettings.swift).
    public var bindings: Bindings?
    public var audit: Audit?
    /// Remote signing services (CSC API) by name (RemoteServiceConfiguration.swift).
    public var remoteServices: [String: RemoteService]?

    // Each section lists its keys once, in its CodingKeys: UnknownKeys refuses any other.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case socket, group, pollIntervalSeconds, loginCacheSeconds, signDeadlineSeconds, modules, access, limits, bindings, audit,
             remoteServices
    }

    public struct Modules: Codable, Sendable, Equatable {
        /// Load every module registered with p11-kit (trust-only modules are always left out). Default true.
        public var useRegistered: Bool?
        /// Extra module files, e.g. a vendor's `libcastle.so.1.0.0` or `libeTPkcs11.so`.
        public var add: [String]?
        /// Registered modules to leave out, by p11-kit name (`opensc`) or path.
        public var exclude: [String]?
        /// `host` (default): each module runs in a kyso-module-host process that kysod restarts when it crashes or
        /// hangs; `in-process`: every module is loaded into kysod (a crash then takes kysod down).
        public var isolation: String?
        /// Modules to load into kysod even with `isolation: host`, by p11-kit name or path (for measurements).
        public var inProcess: [String]?
        enum CodingKeys: String, CodingKey, CaseIterable { case useRegistered, add, exclude, isolation, inProcess }
        public init(useRegistered: Bool? = nil, add: [String]? = nil, exclude: [String]? = nil, isolation: String? = nil, inProcess: [String]? = nil) {
            self.useRegistered = useRegistered
            self.add = add
            self.exclude = exclude
            self.isolation = isolation
            self.inProcess = inProcess
        }
    }

    /// Who may do what: a capability is granted to the listed users and to members of the listed groups.
    public struct Access: Codable, Sendable, Equatable {
        public var read: Grant?
        public var sign: Grant?
        public var admin: Grant?
        enum CodingKeys: String, CodingKey, CaseIterable { case read, sign, admin }
        public init(read: Grant? = nil, sign: Grant? = nil, admin: Grant? = nil) {
            self.read = read
            self.sign = sign
            self.admin = admin
        }
    }

    public struct Grant: Codable, Sendable, Equatable {
        public var users: [String]?
        public var groups: [String]?
        enum CodingKeys: String, CodingKey, CaseIterable { case users, groups }
        public init(users: [String]? = nil, groups: [String]? = nil) {
            self.users = users
            self.groups = groups
        }
    }

    /// How much of the audit log is kept, by category (see `AuditCategory`), and how many refusals of one uid a
    /// minute are recorded one by one before the rest are only counted.
    public struct Audit: Codable, Sendable, Equatable {
        public var maxAgeDays: Int?
        public var maxOperationRecords: Int?
        public var maxRefusalRecords: Int?
        public var maxAdminRecords: Int?
        public var refusalsRecordedPerMinute: Int?
        enum CodingKeys: String, CodingKey, CaseIterable {
            case maxAgeDays, maxOperationRecords, maxRefusalRecords, maxAdminRecords, refusalsRecordedPerMinute
        }
        public init(maxAgeDays: Int? = nil, maxOperationRecords: Int? = nil, maxRefusalRecords: Int? = nil, maxAdminRecords: Int? = nil,
                    refusalsRecordedPerMinute: Int? = nil) {
            self.maxAgeDays = maxAgeDays
            self.maxOperationRecords = maxOperationRecords
            self.maxRefusalRecords = maxRefusalRecords
            self.maxAdminRecords = maxAdminRecords
            self.refusalsRecordedPerMinute = refusalsRecordedPerMinute
        }
    }

    public struct Limits: Codable, Sendable, Equatable {
        public var maxBodyBytes: Int?
        public var maxConnections: Int?
        /// Connections one uid may hold (admins excepted). Default a quarter of `maxConnections`.
        public var maxConnectionsPerUid: Int?
        public var maxEventSubscribers: Int?
        public var headerTimeoutSeconds: Double?
        public var idleTimeoutSeconds: Double?
        public var eventBufferSize: Int?
        enum CodingKeys: String, CodingKey, CaseIterable {
            case maxBodyBytes, maxConnections, maxConnectionsPerUid, maxEventSubscribers, headerTimeoutSeconds, idleTimeoutSeconds, eventBufferSize
        }
        public init(maxBodyBytes: Int? = nil, maxConnections: Int? = nil, maxConnectionsPerUid: Int? = nil, maxEventSubscribers: Int? = nil,
                    headerTimeoutSeconds: Double? = nil, idleTimeoutSeconds: Double? = nil, eventBufferSize: Int? = nil) {
            self.maxBodyBytes = maxBodyBytes
            self.maxConnections = maxConnections
            self.maxConnectionsPerUid = maxConnectionsPerUid
            self.maxEventSubscribers = maxEventSubscribers
            self.headerTimeoutSeconds = headerTimeoutSeconds
            self.idleTimeoutSeconds = idleTimeoutSeconds
            self.eventBufferSize = eventBufferSize
        }
    }

    public init(socket: String? = nil, group: String? = nil, pollIntervalSeconds: Double? = nil, loginCacheSeconds: Double? = nil, modules: Modules? = nil,
                access: Access? = nil, limits: Limits? = nil, audit: Audit? = nil) {
        self.socket = socket
        self.group = group
        self.pollIntervalSeconds = pollIntervalSeconds
        self.loginCacheSeconds = loginCacheSeconds
        self.modules = modules
        self.access = access
        self.limits = limits
        self.audit = audit
    }

    /// Reads a configuration file; unknown keys are an error, so a typo is not silently ignored.
    public static func load(path: String) throws -> DaemonConfiguration {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ConfigurationError(path: path, reason: "cannot be read: \(error.localizedDescription)")
        }
        do {
            try UnknownKeys.check(data)
            return try JSONDecoder().decode(DaemonConfiguration.self, from: data)
        } catch let error as ConfigurationError {
            throw ConfigurationError(path: path, reason: error.reason)
        } catch let error as DecodingError {
            throw ConfigurationError(path: path, reason: ConfigurationRanges.describe(error))
        } catch {
            throw ConfigurationError(path: path, reason: "is not valid: \(error)")
        }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { path.isEmpty ? "configuration: \(reason)" : "configuration \(path) \(reason)" }
}

/// Rejects keys the configuration does not know, at any depth.
enum UnknownKeys {
    /// The keys of each section, from the types' own CodingKeys; a section may also carry a `_comment`.
    static let known: [String: Set<String>] = {
        func keys<K: CodingKey & CaseIterable>(_: K.Type, comment: Bool = true) -> Set<String> {
            Set(K.allCases.map(\.stringValue)).union(comment ? ["_comment"] : [])
        }
        typealias C = DaemonConfiguration
        return [
            "": keys(C.CodingKeys.self), "bindings": keys(C.Bindings.CodingKeys.self), "audit": keys(C.Audit.CodingKeys.self),
            "modules": keys(C.Modules.CodingKeys.self), "access": keys(C.Access.CodingKeys.self),
            "access.*": keys(C.Grant.CodingKeys.self, comment: false), "limits": keys(C.Limits.CodingKeys.self),
            "remoteServices.*": keys(C.RemoteService.CodingKeys.self),
        ]
    }()

    /// Sections whose keys are names the administrator chooses (services, method names); their values are checked.
    static let named: Set<String> = ["remoteServices", "remoteServices.*.methodPaths"]

    /// The section pattern of a path: a service's name stands as `*` (`remoteServices.mysign` → `remoteServices.*`).
    static func pattern(_ path: String) -> String {
        var parts = path.split(separator: ".").map(String.init)
        if parts.first == "remoteServices", parts.count >= 2 { parts[1] = "*" }
        return parts.joined(separator: ".")
    }

    static func check(_ data: Data) throws {
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConfigurationError(path: "", reason: "must be a JSON object")
        }
        try check(root, at: "")
    }

    private static func check(_ object: [String: Any], at path: String) throws {
        let allowed = known[pattern(path)] ?? known[path.split(separator: ".").first.map { "\($0).*" } ?? ""] ?? []
        for (key, value) in object {
            guard named.contains(pattern(path)) || allowed.contains(key) else {
                throw ConfigurationError(path: "", reason: "has an unknown key \"\(path.isEmpty ? key : path + "." + key)\"")
            }
            try ConfigurationRanges.checkWholeNumber(value, key: path.isEmpty ? key : path + "." + key)
            if let nested = value as? [String: Any] { try check(nested, at: path.isEmpty ? key : path + "." + key) }
        }
    }
}

/// The configuration with defaults applied and command-line flags on top.
public struct DaemonSettings: Sendable {
    public var socketPath: String
    public var socketGroup: String?
    public var stateDirectory: String
    public var pollInterval: Duration
    /// nil when logins are not cached.
    public var loginCacheTTL: Duration?
    public var signDeadline: Duration
    public var useRegisteredModules: Bool
    public var extraModules: [String]
    public var excludedModules: [String]
    /// Modules (p11-kit name or path) loaded into kysod rather than a module host; every module when `isolateModules` is off.
    public var inProcessModules: [String]
    public var isolateModules: Bool
    public var access: AccessPolicy
    public var maxBodyBytes: Int
    public var maxConnections: Int
    public var maxConnectionsPerUid: Int
    public var maxEventSubscribers: Int
    public var headerTimeout: Duration
    public var idleTimeout: Duration
    public var eventBufferSize: Int
    public var auditRetention: AuditRetention
    /// Refusals of one uid recorded one by one each minute; beyond, they are counted into one summary record.
    public var refusalsRecordedPerMinute: Int
    /// Watch PC/SC readers (and rescan PKCS#11 at once on a change). Off only in tests without pcscd.
    public var watchReaders: Bool
    /// Statement age limit and the unknown-CA policy (`bindings` in the file).
    public var bindingRules: BindingRules
    /// The remote signing services, by name.
    public var remoteServices: [RemoteServiceSettings]

    /// Whether a module (p11-kit name and file) runs in a module host.
    func isolates(name: String, path: String) -> Bool {
        isolateModules && !inProcessModules.contains(name) && !inProcessModules.contains(path)
    }

    public init(
        configuration: DaemonConfiguration, socketPath: String?, stateDirectory: String, extraModules: [String],
        noRegisteredModules: Bool, pollIntervalSeconds: Double?, watchReaders: Bool = true, moduleIsolation: String? = nil
    ) throws {
        self.socketPath = socketPath ?? configuration.socket ?? DaemonSettings.defaultSocketPath()
        socketGroup = configuration.group ?? "kyso"
        self.stateDirectory = stateDirectory
        let ranges = ConfigurationRanges.self
        pollInterval = try ranges.seconds(pollIntervalSeconds ?? configuration.pollIntervalSeconds,
                                          key: pollIntervalSeconds != nil ? "--poll-interval" : "pollIntervalSeconds", default: 2,
                                          range: ranges.pollIntervalSeconds)
        let cache = try ranges.seconds(configuration.loginCacheSeconds, key: "loginCacheSeconds", default: 0, range: ranges.loginCacheSeconds)
        loginCacheTTL = cache > .zero ? cache : nil
        signDeadline = try ranges.seconds(configuration.signDeadlineSeconds, key: "signDeadlineSeconds", default: 20,
                                          range: ranges.signDeadlineSeconds)
        useRegisteredModules = !noRegisteredModules && (configuration.modules?.useRegistered ?? true)
        self.extraModules = (configuration.modules?.add ?? []) + extraModules
        excludedModules = configuration.modules?.exclude ?? []
        switch moduleIsolation ?? configuration.modules?.isolation ?? "host" {
        case "host": isolateModules = true
        case "in-process": isolateModules = false
        case let other: throw ConfigurationError(path: "", reason: "modules.isolation must be \"host\" or \"in-process\", not \"\(other)\"")
        }
        inProcessModules = configuration.modules?.inProcess ?? []
        access = AccessPolicy(configuration.access)
        let limits = configuration.limits
        maxBodyBytes = try ranges.count(limits?.maxBodyBytes, key: "limits.maxBodyBytes", default: 64 * 1024, range: ranges.maxBodyBytes)
        maxConnections = try ranges.count(limits?.maxConnections, key: "limits.maxConnections", default: 256, range: ranges.maxConnections)
        maxConnectionsPerUid = try ranges.count(limits?.maxConnectionsPerUid, key: "limits.maxConnectionsPerUid",
                                                default: max(1, maxConnections / 4), range: ranges.maxConnectionsPerUid)
        maxEventSubscribers = try ranges.count(limits?.maxEventSubscribers, key: "limits.maxEventSubscribers", default: 64,
                                               range: ranges.maxEventSubscribers)
        headerTimeout = try ranges.seconds(limits?.headerTimeoutSeconds, key: "limits.headerTimeoutSeconds", default: 10,
                                           range: ranges.headerTimeoutSeconds)
        idleTimeout = try ranges.seconds(limits?.idleTimeoutSeconds, key: "limits.idleTimeoutSeconds", default: 60, range: ranges.idleTimeoutSeconds)
        eventBufferSize = try ranges.count(limits?.eventBufferSize, key: "limits.eventBufferSize", default: 1024, range: ranges.eventBufferSize)
        let audit = configuration.audit
        let standard = AuditRetention.standard
        let auditRange = ranges.auditCount
        auditRetention = AuditRetention(
            maximumAgeDays: try ranges.count(audit?.maxAgeDays, key: "audit.maxAgeDays", default: Int(standard.maximumAge / 86_400),
                                             range: auditRange),
            maximumRows: try ranges.count(audit?.maxOperationRecords, key: "audit.maxOperationRecords",
                                          default: standard.maximumRows[.operation] ?? 100_000, range: auditRange),
            refusalRows: try audit?.maxRefusalRecords.map { try ranges.count($0, key: "audit.maxRefusalRecords", default: $0, range: auditRange) },
            adminRows: try audit?.maxAdminRecords.map { try ranges.count($0, key: "audit.maxAdminRecords", default: $0, range: auditRange) })
        refusalsRecordedPerMinute = try ranges.count(audit?.refusalsRecordedPerMinute, key: "audit.refusalsRecordedPerMinute", default: 60,
                                                     range: auditRange)
        self.watchReaders = watchReaders
        bindingRules = try BindingRules(configuration: configuration.bindings)
        remoteServices = try (configuration.remoteServices ?? [:]).sorted { $0.key < $1.key }.map { try RemoteServiceSettings(name: $0.key, $0.value) }
    }

    /// Where kysod listens unless told otherwise (KysoSocket.defaultPath, shared with the clients).
    public static func defaultSocketPath() -> String { KysoSocket.defaultPath() }
}

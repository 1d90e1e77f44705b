import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a caller may do through the socket.
public enum Capability: String, Sendable, Hashable, CaseIterable, Codable {
    /// See tokens, certificates, status and events.
    case read
    /// Ask for signatures on a token (the token's PIN is still needed).
    case sign
    /// Change bindings, read the audit log, reveal secrets.
    case admin
}

/// Grants capabilities from the kernel's word on who is calling (SO_PEERCRED), never from anything the caller says.
///
/// Defaults: root has every capability; members of group `kyso` (the socket's group) may read; nobody else
/// may do anything, and nobody but root may sign until the configuration says so. `admin` implies `sign` and
/// `read`; `sign` implies `read`.
public struct AccessPolicy: Sendable {
    struct Grant: Sendable {
        var uids: Set<uid_t>
        var gids: Set<gid_t>
        var names: [String]
    }

    private var grants: [Capability: Grant]

    public init(_ access: DaemonConfiguration.Access?) {
        func resolve(_ grant: DaemonConfiguration.Grant?, defaultUsers: [String], defaultGroups: [String]) -> Grant {
            let users = grant?.users ?? defaultUsers
            let groups = grant?.groups ?? defaultGroups
            return Grant(
                uids: Set(users.compactMap(Self.uid(of:))), gids: Set(groups.compactMap(Self.gid(of:))),
                names: users + groups.map { "@" + $0 })
        }
        grants = [
            .read: resolve(access?.read, defaultUsers: [], defaultGroups: ["kyso"]),
            .sign: resolve(access?.sign, defaultUsers: [], defaultGroups: []),
            .admin: resolve(access?.admin, defaultUsers: ["root"], defaultGroups: []),
        ]
    }

    /// The capabilities of a caller, from its uid and every group it is in.
    public func capabilities(of peer: PeerCredentials) -> Set<Capability> {
        var result: Set<Capability> = []
        for (capability, grant) in grants where grant.uids.contains(peer.uid) || !grant.gids.isDisjoint(with: peer.groups) {
            result.insert(capability)
        }
        if result.contains(.admin) { result.formUnion([.sign, .read]) }
        if result.contains(.sign) { result.insert(.read) }
        return result
    }

    /// A user name or a numeric uid.
    static func uid(of user: String) -> uid_t? {
        if let number = uid_t(user) { return number }
        return getpwnam(user)?.pointee.pw_uid
    }

    static func gid(of group: String) -> gid_t? {
        if let number = gid_t(group) { return number }
        return getgrnam(group)?.pointee.gr_gid
    }
}

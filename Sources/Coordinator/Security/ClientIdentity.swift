import Protocol

/// Who sent a client request, and what it may touch (docs/SECURITY.md): an admin key everything, a submitter
/// key its own jobs only. Without CurveZMQ (`--insecure` on loopback, tests) there is no identity and the
/// client may do everything, as before keys existed.
struct ClientIdentity: Equatable {
    var role: FarmRole
    /// The key's name; recorded as the owner of the jobs it submits.
    var name: String

    static let unauthenticated = ClientIdentity(role: .admin, name: "")

    /// The identity the ZAP handler gave the connection (`<role>:<name>`, `ZAPPolicy`); nil user id: none.
    init(userID: String?) {
        guard let userID, let colon = userID.firstIndex(of: ":"),
              let role = FarmRole(rawValue: String(userID[..<colon])) else {
            self = userID == nil ? .unauthenticated : ClientIdentity(role: .submitter, name: userID ?? "")
            return
        }
        self.init(role: role, name: String(userID[userID.index(after: colon)...]))
    }

    init(role: FarmRole, name: String) {
        self.role = role; self.name = name
    }

    /// Whether this client may see and change a job owned by `owner`.
    func mayAccess(jobOwnedBy owner: String) -> Bool {
        role == .admin || owner == name
    }
}

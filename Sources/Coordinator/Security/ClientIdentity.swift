import Protocol

/// Who sent a client request, and what it may touch (docs/SECURITY.md): an admin key everything, a submitter
/// key its own jobs only. Without CurveZMQ (`--insecure` on loopback, tests) there is no identity and the
/// client may do everything, as before keys existed. A viewer (an HTTP token's role) may read every job and
/// change none.
public struct ClientIdentity: Equatable, Sendable {
    public var role: FarmRole
    /// The key's (or token's) name; recorded as the owner of the jobs it submits.
    public var name: String

    public static let unauthenticated = ClientIdentity(role: .admin, name: "")

    /// The identity the ZAP handler gave the connection (`<role>:<name>`, `ZAPPolicy`); nil user id: none.
    init(userID: String?) {
        guard let userID, let colon = userID.firstIndex(of: ":"),
              let role = FarmRole(rawValue: String(userID[..<colon])) else {
            self = userID == nil ? .unauthenticated : ClientIdentity(role: .viewer, name: userID ?? "")
            return
        }
        self.init(role: role, name: String(userID[userID.index(after: colon)...]))
    }

    public init(role: FarmRole, name: String) {
        self.role = role; self.name = name
    }

    /// Whether this client may see a job owned by `owner`.
    func maySee(jobOwnedBy owner: String) -> Bool {
        role == .admin || role == .viewer || owner == name
    }

    /// Whether this client may change anything (submit, cancel, control, delete): every role but a viewer.
    var mayChange: Bool { role != .viewer }

    /// Whether a request only reads (a viewer may send it).
    static func onlyReads(_ payload: Stylefarm_V1_ClientRequest.OneOf_Payload?) -> Bool {
        switch payload {
        case .jobStatus?, .listJobs?, .watchJob?, .taskLogs?, .listWorkers?, .disconnect?: return true
        default: return false
        }
    }
}

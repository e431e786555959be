/// What a key may do on the farm (docs/SECURITY.md): a worker key only uses the worker channel; client
/// keys use the client channel, a submitter for its own jobs, an admin for everything.
public enum FarmRole: String, Sendable, CaseIterable, Codable {
    case worker
    case submitter
    case admin
    /// Reads every job and worker, changes nothing (dashboards, monitoring).
    case viewer

    /// The ZAP domain of the channel this role may connect to (`CoordinatorServer` names its sockets so).
    public var zapDomain: String { self == .worker ? Self.workerDomain : Self.clientDomain }

    public static let workerDomain = "stylefarm-worker"
    public static let clientDomain = "stylefarm-client"
}

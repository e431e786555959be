import Foundation
import Protocol

/// Where the replies to one client request go, so the loop can answer later (a submission, an upload or a
/// deletion that ran off the loop; a watch's events): a peer of the client socket, or a caller in this process
/// (``LocalClients``: the HTTP API), and the request's id.
struct ClientTicket: Sendable, Equatable {
    enum Peer: Sendable, Hashable {
        /// A ZeroMQ client: its routing id and framing (`Routed`).
        case socket(routingID: Data, delimited: Bool)
        /// A ``LocalClients`` call, by its id.
        case local(UInt64)

        var isLocal: Bool { if case .local = self { return true } else { return false } }
    }

    var peer: Peer
    var requestID: UInt64
}

/// One client request as the loop handles it, wherever it came from.
struct ClientCall {
    var message: Stylefarm_V1_ClientRequest
    /// Frames sent after the message (upload chunks); none for local calls.
    var attachments: [Data]
    var ticket: ClientTicket

    init(_ routed: Routed<Stylefarm_V1_ClientRequest>) {
        message = routed.message
        attachments = routed.attachments
        ticket = ClientTicket(peer: .socket(routingID: routed.routingID, delimited: routed.delimited),
                              requestID: routed.message.requestID)
    }

    init(local id: UInt64, message: Stylefarm_V1_ClientRequest) {
        self.message = message
        attachments = []
        ticket = ClientTicket(peer: .local(id), requestID: message.requestID)
    }
}

/// A submission that has run (`JobSubmission.run`), waiting for the loop to answer its client.
struct FinishedSubmission: Sendable {
    var ticket: ClientTicket
    var outcome: Result<JobSubmission.Accepted, any Error>
}

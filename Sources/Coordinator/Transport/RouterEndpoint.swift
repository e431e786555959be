import Foundation
import Protocol

/// One bound ROUTER socket of the coordinator: sends and receives farm messages with `Framing`.
/// Only I/O; it decides nothing. Owned by the server's thread (not Sendable, like `Socket`).
final class RouterEndpoint<Incoming: ChannelMessage> {
    let socket: Socket
    let framing: Framing
    /// The endpoint actually bound (wildcard ports resolved).
    let boundEndpoint: String

    /// - Parameter curve: the coordinator's keys and this socket's ZAP domain (CurveZMQ on); nil: plain TCP.
    /// - Parameters:
    ///   - maxInboundFrameBytes: the largest frame a peer may send (default: the framing's message limit).
    ///   - receiveHighWaterMark: messages libzmq queues per peer before it stops reading from that peer.
    init(context: ZMQContext, endpoint: String, framing: Framing, curve: (keys: CurveKeyPair, domain: String)? = nil,
         maxInboundFrameBytes: Int? = nil, receiveHighWaterMark: Int32 = 1000) throws {
        socket = try context.makeSocket(.router)
        try socket.setRouterMandatory(true)
        // Set explicitly (issue 17): 1000 queued messages per peer out (a worker's blob chunks, a watcher's events)
        // and `receiveHighWaterMark` in, after which libzmq stops reading that peer's TCP stream.
        try socket.setHighWaterMarks(send: 1000, receive: receiveHighWaterMark)
        try socket.setMaxMessageSize(Int64(maxInboundFrameBytes ?? framing.maxMessageBytes + 1024))
        if let curve { try socket.makeCurveServer(keys: curve.keys, zapDomain: curve.domain) }
        try socket.bind(endpoint)
        boundEndpoint = try socket.lastEndpoint()
        self.framing = framing
    }

    /// What one receive produced: a message, or frames that failed to decode.
    enum Received {
        /// `peer`: who the ZAP handler said the sender is (`ZAPPolicy.Reply.userID`); nil without CurveZMQ.
        case message(Routed<Incoming>, peer: String?)
        case malformed(routingID: Data?, ProtocolError)
    }

    /// Takes one queued message without blocking, or nil.
    func receive() throws -> Received? {
        // Routing id, delimiter, header, body and the attachments a message may have: more are not copied.
        guard let (frames, userID) = try socket.receiveMultipartWithUserID(timeout: .zero, maxFrames: framing.maxAttachments + 4)
        else { return nil }
        do {
            return .message(try framing.decodeRouted(Incoming.self, from: frames), peer: userID)
        } catch let error as ProtocolError {
            return .malformed(routingID: frames.first, error)
        }
    }

    /// Sends `message` to `routingID`. Returns false when the peer is gone (EHOSTUNREACH) or the
    /// message could not be encoded.
    @discardableResult
    func send<M: ChannelMessage>(_ message: M, attachments: [Data] = [], to routingID: Data, delimited: Bool = false) -> Bool {
        do {
            let frames = try framing.encode(message, attachments: attachments, to: routingID, delimited: delimited)
            try socket.send(multipart: frames, dontWait: true)
            return true
        } catch {
            return false
        }
    }

    func close() { socket.close() }
}

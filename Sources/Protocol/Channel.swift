import SwiftProtobuf

/// The four directions of the farm protocol. Each has one envelope message (a protobuf `oneof`) and
/// one byte in the header frame, so a message sent to the wrong port is recognized before parsing.
public enum Channel: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Worker → coordinator: `Stylefarm_V1_WorkerMessage` ("W").
    case workerToCoordinator = 0x57
    /// Coordinator → worker: `Stylefarm_V1_CoordinatorMessage` ("C").
    case coordinatorToWorker = 0x43
    /// Client → coordinator: `Stylefarm_V1_ClientRequest` ("Q").
    case clientRequest = 0x51
    /// Coordinator → client: `Stylefarm_V1_ClientReply` ("R").
    case clientReply = 0x52

    public var description: String {
        switch self {
        case .workerToCoordinator: return "worker→coordinator"
        case .coordinatorToWorker: return "coordinator→worker"
        case .clientRequest: return "client request"
        case .clientReply: return "client reply"
        }
    }
}

/// An envelope message: the top-level protobuf of one channel, whose `oneof payload` says what the
/// message is. Conformances are in `Envelopes+Extensions.swift`.
public protocol ChannelMessage: SwiftProtobuf.Message {
    /// The channel this envelope travels on.
    static var channel: Channel { get }
    /// Whether the `oneof payload` holds a case this build knows (false for an empty body or a
    /// message type added by a newer peer, which SwiftProtobuf keeps as unknown fields).
    var hasKnownPayload: Bool { get }
}

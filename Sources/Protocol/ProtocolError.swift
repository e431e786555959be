import Foundation

/// Why a multipart message is not a valid farm protocol message (decoding), or cannot become one
/// (encoding). Every case is reachable by remote input and is meant to be logged and answered (or
/// the message dropped), never to stop the process.
public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer frames than the layout needs: `[routing id][delimiter?] header body attachments*`.
    case wrongFrameCount(got: Int, needed: Int)
    /// A ROUTER-side message whose routing-id frame is empty.
    case missingRoutingID
    /// The header frame is not 4 bytes starting with "SF" (the bytes received, at most 16).
    case badHeader([UInt8])
    /// The header's version byte is not `ProtocolVersion.major`.
    case unsupportedVersion(UInt8)
    /// The header's channel byte names no known channel.
    case unknownChannel(UInt8)
    /// The message belongs to another channel (e.g. a client request on the worker port).
    case wrongChannel(expected: Channel, got: Channel)
    /// The body parsed but its `oneof payload` is unset: a message type this peer does not know
    /// (a newer peer's addition) or an empty body.
    case unknownMessageType(Channel)
    /// The message's frames add up to more bytes than the limit.
    case oversized(bytes: Int, limit: Int)
    /// More attachment frames than the limit.
    case tooManyAttachments(count: Int, limit: Int)
    /// The body is not a valid protobuf encoding of the channel's envelope (SwiftProtobuf's reason).
    case malformedBody(String)
    /// A `Payload` names attachment frame `index` but the message has only `count`.
    case missingAttachment(index: UInt32, count: Int)
    /// A `Payload` is unset (neither inline bytes nor an attachment).
    case emptyPayload
    /// Serializing a message failed (SwiftProtobuf's reason).
    case encodingFailed(String)

    public var description: String {
        switch self {
        case let .wrongFrameCount(got, needed): return "expected at least \(needed) frames, got \(got)"
        case .missingRoutingID: return "empty routing-id frame"
        case let .badHeader(bytes): return "bad header frame \(bytes.map { String(format: "%02x", $0) }.joined())"
        case let .unsupportedVersion(v): return "unsupported protocol version \(v) (this peer speaks \(ProtocolVersion.major))"
        case let .unknownChannel(c): return "unknown channel byte 0x\(String(format: "%02x", c))"
        case let .wrongChannel(expected, got): return "message for channel \(got), expected \(expected)"
        case let .unknownMessageType(channel): return "unknown or missing message type on channel \(channel)"
        case let .oversized(bytes, limit): return "message of \(bytes) bytes exceeds the limit of \(limit)"
        case let .tooManyAttachments(count, limit): return "\(count) attachment frames exceed the limit of \(limit)"
        case let .malformedBody(reason): return "malformed protobuf body: \(reason)"
        case let .missingAttachment(index, count): return "payload names attachment \(index) but the message has \(count)"
        case .emptyPayload: return "payload carries neither inline bytes nor an attachment"
        case let .encodingFailed(reason): return "cannot encode message: \(reason)"
        }
    }
}

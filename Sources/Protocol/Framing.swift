import Foundation
import SwiftProtobuf

/// A decoded message with the attachment frames that followed its body.
public struct Framed<Message: ChannelMessage> {
    public var message: Message
    /// Raw frames after the body, referenced by `Stylefarm_V1_Payload.attachment(_:)`.
    public var attachments: [Data]

    public init(message: Message, attachments: [Data] = []) {
        self.message = message
        self.attachments = attachments
    }
}

extension Framed: Equatable where Message: Equatable {}
extension Framed: Sendable where Message: Sendable {}

/// A message as a ROUTER socket sees it: the sender's routing id first.
public struct Routed<Message: ChannelMessage> {
    /// The peer's routing id (ZMQ_ROUTING_ID of a DEALER, or one libzmq made up).
    public var routingID: Data
    /// Whether an empty delimiter frame followed the routing id (REQ peers send one and need it
    /// back in the reply; DEALER peers of this protocol do not).
    public var delimited: Bool
    public var framed: Framed<Message>

    public init(routingID: Data, delimited: Bool = false, framed: Framed<Message>) {
        self.routingID = routingID
        self.delimited = delimited
        self.framed = framed
    }

    public var message: Message { framed.message }
    public var attachments: [Data] { framed.attachments }
}

extension Routed: Equatable where Message: Equatable {}
extension Routed: Sendable where Message: Sendable {}

/// Maps farm protocol messages to ZeroMQ multipart frames and back; pure (no sockets).
///
/// Layout (docs/PROTOCOL.md, "Framing"):
///
///     [routing id]   ROUTER side only: added by libzmq on receipt, consumed by it on send
///     [empty]        optional delimiter, only on the ROUTER side and only from REQ peers
///     header         4 bytes: 0x53 0x46 ("SF"), version (1), channel byte ("W", "C", "Q" or "R")
///     body           the channel's envelope, protobuf binary encoding
///     attachment*    0…maxAttachments raw frames referenced by Payload.attachment
///
/// The size limit counts the header, body and attachments (not the routing id or delimiter).
public struct Framing: Sendable {
    /// The first two header bytes, "SF".
    public static let magic: [UInt8] = [0x53, 0x46]
    /// Length of the header frame.
    public static let headerLength = 4

    /// Largest accepted or produced message in bytes (header + body + attachments).
    public var maxMessageBytes: Int
    /// Most attachment frames accepted or produced.
    public var maxAttachments: Int

    public init(maxMessageBytes: Int = FarmDefaults.maxMessageBytes,
                maxAttachments: Int = FarmDefaults.maxAttachments) {
        self.maxMessageBytes = maxMessageBytes
        self.maxAttachments = maxAttachments
    }

    /// The header frame of `channel` at this build's protocol version.
    public static func header(for channel: Channel) -> Data {
        Data(magic + [UInt8(ProtocolVersion.major), channel.rawValue])
    }

    // MARK: Encoding

    /// Frames for a DEALER (or REQ) socket: `[header, body, attachments…]`.
    /// - Throws: `ProtocolError.oversized`, `.tooManyAttachments` (the peer would reject the
    ///   message), `.encodingFailed`.
    public func encode<M: ChannelMessage>(_ message: M, attachments: [Data] = []) throws -> [Data] {
        guard attachments.count <= maxAttachments else {
            throw ProtocolError.tooManyAttachments(count: attachments.count, limit: maxAttachments)
        }
        let body: Data
        do {
            body = try message.serializedData()
        } catch {
            throw ProtocolError.encodingFailed(String(describing: error))
        }
        let frames = [Self.header(for: M.channel), body] + attachments
        let size = frames.reduce(0) { $0 + $1.count }
        guard size <= maxMessageBytes else { throw ProtocolError.oversized(bytes: size, limit: maxMessageBytes) }
        return frames
    }

    /// Frames for a ROUTER socket sending to `routingID`: `[routing id, (empty,) header, body,
    /// attachments…]`; `delimited` adds the empty frame a REQ peer expects (use the received
    /// message's `Routed.delimited`).
    public func encode<M: ChannelMessage>(_ message: M, attachments: [Data] = [], to routingID: Data,
                                          delimited: Bool = false) throws -> [Data] {
        guard !routingID.isEmpty else { throw ProtocolError.missingRoutingID }
        let frames = try encode(message, attachments: attachments)
        return [routingID] + (delimited ? [Data()] : []) + frames
    }

    // MARK: Decoding

    /// Decodes frames received on a DEALER (or REQ) socket: `[header, body, attachments…]`.
    ///
    /// Checks, in order: frame count, total size, header (magic, version, channel), attachment
    /// count, protobuf body, known payload.
    /// - Throws: `ProtocolError` (every case but `.missingRoutingID`, `.missingAttachment`,
    ///   `.emptyPayload`, `.encodingFailed`).
    public func decode<M: ChannelMessage>(_ type: M.Type, from frames: [Data]) throws -> Framed<M> {
        try decode(type, frames: frames[...])
    }

    /// Decodes frames received on a ROUTER socket: `[routing id, (empty,) header, body,
    /// attachments…]`. An empty frame right after the routing id is taken as a REQ delimiter.
    /// - Throws: `ProtocolError.missingRoutingID`, then as `decode(_:from:)`.
    public func decodeRouted<M: ChannelMessage>(_ type: M.Type, from frames: [Data]) throws -> Routed<M> {
        guard frames.count >= 3 else { throw ProtocolError.wrongFrameCount(got: frames.count, needed: 3) }
        let routingID = frames[0]
        guard !routingID.isEmpty else { throw ProtocolError.missingRoutingID }
        let delimited = frames[1].isEmpty
        let rest = frames.dropFirst(delimited ? 2 : 1)
        if delimited && rest.count < 2 {
            throw ProtocolError.wrongFrameCount(got: frames.count, needed: 4)
        }
        return Routed(routingID: routingID, delimited: delimited, framed: try decode(type, frames: rest))
    }

    private func decode<M: ChannelMessage>(_ type: M.Type, frames: ArraySlice<Data>) throws -> Framed<M> {
        guard frames.count >= 2 else { throw ProtocolError.wrongFrameCount(got: frames.count, needed: 2) }
        let size = frames.reduce(0) { $0 + $1.count }
        guard size <= maxMessageBytes else { throw ProtocolError.oversized(bytes: size, limit: maxMessageBytes) }

        let header = frames[frames.startIndex]
        guard header.count == Self.headerLength, header.prefix(2).elementsEqual(Self.magic) else {
            throw ProtocolError.badHeader(Array(header.prefix(16)))
        }
        let version = header[header.startIndex + 2]
        guard UInt32(version) == ProtocolVersion.major else { throw ProtocolError.unsupportedVersion(version) }
        let channelByte = header[header.startIndex + 3]
        guard let channel = Channel(rawValue: channelByte) else { throw ProtocolError.unknownChannel(channelByte) }
        guard channel == M.channel else { throw ProtocolError.wrongChannel(expected: M.channel, got: channel) }

        let attachments = Array(frames.dropFirst(2))
        guard attachments.count <= maxAttachments else {
            throw ProtocolError.tooManyAttachments(count: attachments.count, limit: maxAttachments)
        }
        let message: M
        do {
            message = try M(serializedBytes: frames[frames.startIndex + 1])
        } catch {
            throw ProtocolError.malformedBody(String(describing: error))
        }
        guard message.hasKnownPayload else { throw ProtocolError.unknownMessageType(channel) }
        return Framed(message: message, attachments: attachments)
    }
}

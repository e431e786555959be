import Foundation

extension Stylefarm_V1_Payload {
    /// Bytes carried inside the protobuf body.
    public static func inline(_ bytes: Data) -> Self {
        var p = Self()
        p.source = .inline(bytes)
        return p
    }

    /// Bytes carried in attachment frame `index` (0 = the first frame after the body).
    public static func attachment(_ index: UInt32) -> Self {
        var p = Self()
        p.source = .attachment(index)
        return p
    }

    /// The bytes this payload stands for, taken from `attachments` (a decoded message's extra
    /// frames) when it names one.
    /// - Throws: `ProtocolError.missingAttachment` for an index past the end,
    ///   `ProtocolError.emptyPayload` when neither case is set.
    public func resolve(in attachments: [Data]) throws -> Data {
        switch source {
        case .inline(let bytes)?:
            return bytes
        case .attachment(let index)?:
            guard Int(index) < attachments.count else {
                throw ProtocolError.missingAttachment(index: index, count: attachments.count)
            }
            return attachments[Int(index)]
        case nil:
            throw ProtocolError.emptyPayload
        }
    }
}

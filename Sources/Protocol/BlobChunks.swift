import Foundation

/// The sending side of the blob exchange (docs/PROTOCOL.md "Blob exchange"), shared by the coordinator
/// (serving inputs) and the worker (serving outputs): a blob as `BlobData` messages of at most the
/// chunk limit each, the bytes as attachment 0, offsets in order, the last one marked; or one `not_found`.
public enum BlobChunks {
    /// The chunk size for a request: the sender's own limit, lowered (never raised) by the receiver's
    /// `max_chunk_bytes` when it gives one; at least 1.
    public static func limit(requested: UInt64, configured: Int) -> Int {
        let own = max(1, configured)
        return requested > 0 ? max(1, min(own, Int(clamping: requested))) : own
    }

    /// `bytes` as messages with their attachment, in order (one message for an empty blob).
    public static func messages(sha256: String, bytes: Data, limit: Int) -> [(message: Stylefarm_V1_BlobData, attachment: Data)] {
        let step = max(1, limit)
        var result: [(Stylefarm_V1_BlobData, Data)] = []
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + step)
            var chunk = Stylefarm_V1_BlobData()
            chunk.sha256 = sha256
            chunk.totalSize = UInt64(bytes.count)
            chunk.offset = UInt64(offset)
            chunk.last = end == bytes.count
            chunk.data = .attachment(0)
            result.append((chunk, Data(bytes[bytes.startIndex + offset ..< bytes.startIndex + end])))
            offset = end
        } while offset < bytes.count
        return result
    }

    /// The answer for a blob the sender does not have.
    public static func notFound(sha256: String) -> Stylefarm_V1_BlobData {
        var chunk = Stylefarm_V1_BlobData()
        chunk.sha256 = sha256
        chunk.notFound = true
        return chunk
    }
}

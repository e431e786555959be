import Foundation

/// The receiving side of the blob exchange (docs/PROTOCOL.md "Blob exchange"), shared by the worker
/// (fetching inputs) and the coordinator (pulling outputs): one blob's `BlobData` chunks, checked as they
/// come — in order, within the announced size, the announced size within the receiver's limit, the
/// whole announced size by the last chunk. The SHA-256 is the caller's check, where it stores the bytes.
public struct BlobAssembly: Sendable {
    /// What a chunk did.
    public enum Step: Sendable, Equatable {
        /// Stored; more chunks to come.
        case more
        /// The last chunk: the whole blob.
        case complete(Data)
        /// The transfer cannot go on (the reason, for a log or a task's error); drop the assembly.
        case failed(String)
    }

    /// The largest blob accepted, bytes.
    public let maxBytes: UInt64
    /// The bytes received so far.
    public private(set) var received = Data()

    public init(maxBytes: UInt64) {
        self.maxBytes = maxBytes
    }

    /// Adds `chunk`, whose bytes are in `attachments` or inline.
    public mutating func add(_ chunk: Stylefarm_V1_BlobData, attachments: [Data]) -> Step {
        if chunk.notFound { return .failed("the sender does not have it") }
        guard chunk.totalSize <= maxBytes else {
            return .failed("\(chunk.totalSize) bytes announced, at most \(maxBytes) accepted")
        }
        guard chunk.offset == UInt64(received.count) else {
            return .failed("chunk at offset \(chunk.offset) after \(received.count) bytes of \(chunk.totalSize)")
        }
        let bytes: Data
        do { bytes = try chunk.data.resolve(in: attachments) } catch { return .failed("unreadable chunk: \(error)") }
        guard UInt64(received.count + bytes.count) <= chunk.totalSize else {
            return .failed("more bytes than the \(chunk.totalSize) announced")
        }
        received.append(bytes)
        guard chunk.last else { return .more }
        guard UInt64(received.count) == chunk.totalSize else {
            return .failed("the last chunk ends at \(received.count) of the \(chunk.totalSize) bytes announced")
        }
        return .complete(received)
    }
}

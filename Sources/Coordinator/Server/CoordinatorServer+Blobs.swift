import Foundation
import Protocol

/// A blob read for serving: who asked, and the bytes (nil when the file is gone or no longer has its hash).
struct BlobRead: Sendable {
    var workerID: String
    var sha256: String
    var bytes: Data?
    var chunkLimit: Int
}

/// Serving content-addressed inputs to workers (`BlobRequest` → chunked `BlobData`): the job's content and
/// style files, style-target blobs and intermediate results, read from the paths `blobs` maps each hash to —
/// only to a worker holding a task whose assignment names the blob (`BlobGrants`); any other request is
/// answered `not_found` and counted (`ungrantedBlob`).
/// The file is read and its hash checked on the blob-read thread (a 4K plate is 25 MB: tens of milliseconds
/// to read and hash), and its chunks sent from the loop when it is back (`sendBlobReads`).
extension CoordinatorServer {
    func serveBlobs(_ request: Stylefarm_V1_BlobRequest, to id: String) {
        let chunkLimit = BlobChunks.limit(requested: request.maxChunkBytes, configured: configuration.blobChunkBytes)
        for sha in request.sha256 {
            guard blobGrants.allows(sha, to: id) else {
                stats.drop("ungrantedBlob")
                send(toWorker: id, .blobData(BlobChunks.notFound(sha256: sha)))
                continue
            }
            guard let path = blobs[sha] else {
                send(toWorker: id, .blobData(BlobChunks.notFound(sha256: sha)))
                continue
            }
            blobReads.start {
                let data = try? Data(contentsOf: URL(fileURLWithPath: path))
                // A file changed since it was named by its hash is not that blob.
                let verified = data.flatMap { BlobName.of($0) == sha ? $0 : nil }
                return BlobRead(workerID: id, sha256: sha, bytes: verified, chunkLimit: chunkLimit)
            }
        }
    }

    /// Sends the blobs read since the last iteration (loop thread). A worker that died meanwhile is not sent
    /// anything (`send` drops messages to unknown peers).
    func sendBlobReads() {
        for read in blobReads.finished() {
            guard let bytes = read.bytes else {
                send(toWorker: read.workerID, .blobData(BlobChunks.notFound(sha256: read.sha256)))
                continue
            }
            metrics.blobBytesSent.increment(by: Int64(bytes.count))
            for (chunk, attachment) in BlobChunks.messages(sha256: read.sha256, bytes: bytes, limit: read.chunkLimit) {
                send(toWorker: read.workerID, .blobData(chunk), attachments: [attachment])
            }
        }
    }
}

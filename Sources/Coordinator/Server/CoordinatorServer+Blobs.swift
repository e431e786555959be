import Crypto
import Foundation
import Protocol

/// Serving content-addressed inputs to workers (`BlobRequest` → chunked `BlobData`): the job's content and
/// style files, style-target blobs and intermediate results, read from the paths `blobs` maps each hash to.
extension CoordinatorServer {
    static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    func serveBlobs(_ request: Stylefarm_V1_BlobRequest, to id: String) {
        var chunkLimit = configuration.blobChunkBytes
        if request.maxChunkBytes > 0 { chunkLimit = min(chunkLimit, Int(clamping: request.maxChunkBytes)) }
        for sha in request.sha256 {
            var reply = Stylefarm_V1_BlobData()
            reply.sha256 = sha
            guard let path = blobs[sha], let data = try? Data(contentsOf: URL(fileURLWithPath: path)),
                  Self.sha256Hex(data) == sha else {
                reply.notFound = true
                send(toWorker: id, .blobData(reply))
                continue
            }
            reply.totalSize = UInt64(data.count)
            var offset = 0
            repeat {
                let end = min(data.count, offset + chunkLimit)
                reply.offset = UInt64(offset)
                reply.data = .attachment(0)
                reply.last = end == data.count
                send(toWorker: id, .blobData(reply), attachments: [Data(data[offset..<end])])
                offset = end
            } while offset < data.count
        }
    }
}

import Foundation
import Protocol

/// An upload request that has run on the upload thread (`UploadStore`), waiting for the loop to answer.
struct FinishedUpload: Sendable {
    var ticket: ClientTicket
    var reply: Stylefarm_V1_ClientReply.OneOf_Payload
}

extension Stylefarm_V1_ClientError {
    /// What the coordinator answers an upload request when its upload queue is full.
    static let uploadQueueFull = "the coordinator's upload queue is full; send this again in a moment"

    /// The refusal that means "send it again in a moment" (the upload queue is full), not a reason to give up: the
    /// one check every uploading client (`stylefarm submit --upload`, the HTTP API's uploads) makes.
    public var isUploadQueueFull: Bool { code == .resourceExhausted && message.contains("queue is full") }
}

extension CoordinatorServer {
    // MARK: Uploads (docs/PROTOCOL.md "Uploads")

    /// Upload requests queued for the upload thread at most; more are answered "busy" (each holds up to a
    /// chunk, so this bounds what waiting uploads keep in memory to about 32 MiB).
    static let maxQueuedUploadRequests = 64

    /// Hands an upload request to the upload thread; `answerUploads` answers it when it has run there.
    func handleUpload(_ call: ClientCall, as identity: ClientIdentity) {
        let ticket = call.ticket
        let store = uploadStore, owner = identity.name
        switch call.message.payload {
        case .uploadQuery(let query)?:
            guard admitUpload(call, .uploadQuery(Stylefarm_V1_UploadQueryReply())) else { return }
            uploads.start {
                var reply = Stylefarm_V1_UploadQueryReply()
                do { reply.missing = try store.missing(query.sha256) } catch { reply.error = Self.uploadError(error) }
                return FinishedUpload(ticket: ticket, reply: .uploadQuery(reply))
            }
        case .uploadChunk(let chunk)?:
            var refusal = Stylefarm_V1_UploadChunkReply()
            refusal.sha256 = BlobName.isValid(chunk.sha256) ? chunk.sha256 : ""
            guard admitUpload(call, .uploadChunk(refusal)) else { return }
            let bytes: Data
            do { bytes = try chunk.data.resolve(in: call.attachments) } catch {
                refusal.error = Self.clientError(.invalidArgument, "unreadable upload chunk: \(error)")
                return replyToClient(call, .uploadChunk(refusal))
            }
            let now = now(), name = refusal.sha256
            uploads.start {
                var reply = Stylefarm_V1_UploadChunkReply()
                reply.sha256 = name
                do {
                    let outcome = try store.receive(owner: owner, sha256: chunk.sha256, totalSize: chunk.totalSize,
                                                    offset: chunk.offset, bytes: bytes, last: chunk.last, now: now)
                    reply.received = outcome.received
                    reply.stored = outcome.stored
                } catch {
                    reply.error = Self.uploadError(error)
                }
                return FinishedUpload(ticket: ticket, reply: .uploadChunk(reply))
            }
        case .checkout(let request)?:
            guard admitUpload(call, .checkout(Stylefarm_V1_CheckoutReply())) else { return }
            uploads.start {
                var reply = Stylefarm_V1_CheckoutReply()
                do {
                    let made = try store.checkout(owner: owner, id: request.checkoutID,
                                                  files: request.files.map { ($0.path, $0.sha256) })
                    reply.checkoutID = made.id
                    reply.root = made.root
                } catch {
                    reply.error = Self.uploadError(error)
                }
                return FinishedUpload(ticket: ticket, reply: .checkout(reply))
            }
        default:
            recordDrop("malformed")
        }
    }

    /// Whether the upload thread takes one more request; otherwise `busy` (with its error set) is the answer.
    private func admitUpload(_ call: ClientCall, _ busy: Stylefarm_V1_ClientReply.OneOf_Payload) -> Bool {
        guard uploads.inFlight >= Self.maxQueuedUploadRequests else { return true }
        stats.drop("upload-busy")
        let error = Self.clientError(.resourceExhausted, Stylefarm_V1_ClientError.uploadQueueFull)
        var answer = busy
        switch answer {
        case .uploadQuery(var r): r.error = error; answer = .uploadQuery(r)
        case .uploadChunk(var r): r.error = error; answer = .uploadChunk(r)
        case .checkout(var r): r.error = error; answer = .checkout(r)
        default: answer = .error(error)
        }
        replyToClient(call, answer)
        return false
    }

    /// Answers the clients whose upload requests have run (loop thread).
    func answerUploads() {
        for finished in uploads.finished() {
            send(finished.reply, to: finished.ticket)
        }
    }

    static func uploadError(_ error: any Error) -> Stylefarm_V1_ClientError {
        guard let error = error as? UploadError else { return clientError(.internal, "\(error)") }
        return clientError(error.code, error.description)
    }
}

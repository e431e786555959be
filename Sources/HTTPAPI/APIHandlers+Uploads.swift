import Coordinator
import Foundation
import Hummingbird
import Protocol

/// Uploads over HTTP (a farm without shared storage, docs/HTTP.md "Uploads"): the same three client requests as
/// `stylefarm submit --upload` — which blobs the coordinator lacks (`UploadQuery`), a blob's bytes in chunks
/// (`UploadChunk`: streamed from the request body, never held whole), and a checkout that lays blobs out as files
/// (`Checkout`) — answered by the coordinator's upload thread with the same checks, quotas and owners.
extension APIHandlers {
    struct MissingRequest: Decodable { var sha256: [String] }
    struct MissingJSON: Codable, Equatable { var missing: [String] }
    struct UploadedJSON: Codable, Equatable { var sha256: String; var size: UInt64; var stored: Bool }
    struct CheckoutRequest: Decodable {
        struct File: Decodable { var path: String; var sha256: String }
        var checkoutId: String?
        var files: [File]
    }
    struct CheckoutJSON: Codable, Equatable { var checkoutId: String; var root: String }

    /// `POST /api/v1/uploads/missing`: the names among `sha256` the coordinator does not hold.
    func missingBlobs(_ request: Request, _ context: APIRequestContext, as identity: ClientIdentity) async throws -> Response {
        guard let body = try await Self.optionalBody(MissingRequest.self, request, context) else {
            throw APIError.badRequest(#"send {"sha256": ["<64 hex digits>", …]}"#)
        }
        guard body.sha256.count <= 10_000 else { throw APIError.badRequest("at most 10000 names a request (got \(body.sha256.count))") }
        var query = Stylefarm_V1_UploadQuery()
        query.sha256 = body.sha256
        guard case .uploadQuery(let reply)? = try await askRetryingWhenBusy(.uploadQuery(query), as: identity) else { throw Self.unexpected }
        if reply.hasError { throw APIError(reply.error) }
        return try Self.json(MissingJSON(missing: reply.missing))
    }

    /// `PUT /api/v1/uploads/{sha256}`: the body is the blob (its `Content-Length` required), sent on as chunks of
    /// `FarmDefaults.uploadChunkBytes`, each after the previous one's answer; the coordinator checks the hash at the end.
    func uploadBlob(_ request: Request, _ context: APIRequestContext, as identity: ClientIdentity) async throws -> Response {
        let name = try Self.parameter("sha256", context).lowercased()
        guard BlobName.isValid(name) else { throw APIError.badRequest("the upload's name must be its SHA-256 as 64 hex digits (got \(name.debugDescription))") }
        guard let lengthText = request.headers[.contentLength], let total = UInt64(lengthText) else {
            throw APIError(status: .lengthRequired, code: "invalid_argument", message: "an upload needs its Content-Length (no chunked transfer encoding)")
        }
        let step = FarmDefaults.uploadChunkBytes
        var offset: UInt64 = 0
        var pending = Data()
        pending.reserveCapacity(step)
        var stored = false
        func send(last: Bool) async throws {
            var chunk = Stylefarm_V1_UploadChunk()
            chunk.sha256 = name
            chunk.totalSize = total
            chunk.offset = offset
            chunk.data = .with { $0.inline = pending }
            chunk.last = last
            guard case .uploadChunk(let reply)? = try await askRetryingWhenBusy(.uploadChunk(chunk), as: identity) else { throw Self.unexpected }
            if reply.hasError { throw APIError(reply.error) }
            offset += UInt64(pending.count)
            pending.removeAll(keepingCapacity: true)
            stored = reply.stored
        }
        for try await buffer in request.body {
            var buffer = buffer
            while buffer.readableBytes > 0 {
                let take = min(buffer.readableBytes, step - pending.count)
                if let bytes = buffer.readBytes(length: take) { pending.append(contentsOf: bytes) }
                guard offset + UInt64(pending.count) <= total else {
                    throw APIError.badRequest("the body is longer than its Content-Length (\(total) bytes)")
                }
                if pending.count == step && offset + UInt64(pending.count) < total { try await send(last: false) }
            }
        }
        guard offset + UInt64(pending.count) == total else {
            throw APIError.badRequest("the body ended after \(offset + UInt64(pending.count)) of its \(total) bytes; send the blob again")
        }
        try await send(last: true)
        guard stored else { throw APIError(status: .internalServerError, code: "internal", message: "the coordinator took every chunk of \(name) but did not store it") }
        return try Self.json(UploadedJSON(sha256: name, size: total, stored: stored), status: .created)
    }

    /// `POST /api/v1/checkouts`: lays blobs out as files under one folder (at most 4,000 a request; send more with the
    /// `checkout_id` the first answer gave). A job spec names the files under `root`.
    func checkout(_ request: Request, _ context: APIRequestContext, as identity: ClientIdentity) async throws -> Response {
        guard let body = try await Self.optionalBody(CheckoutRequest.self, request, context) else {
            throw APIError.badRequest(#"send {"files": [{"path": "plates/sh.0001.png", "sha256": "…"}, …]}"#)
        }
        var checkout = Stylefarm_V1_Checkout()
        checkout.checkoutID = body.checkoutId ?? ""
        checkout.files = body.files.map { file in .with { $0.path = file.path; $0.sha256 = file.sha256 } }
        guard case .checkout(let reply)? = try await askRetryingWhenBusy(.checkout(checkout), as: identity) else { throw Self.unexpected }
        if reply.hasError { throw APIError(reply.error) }
        return try Self.json(CheckoutJSON(checkoutId: reply.checkoutID, root: reply.root))
    }

    /// `ask`, sent again (up to five times, waiting longer each time) while the coordinator's upload queue is full.
    private func askRetryingWhenBusy(_ payload: Stylefarm_V1_ClientRequest.OneOf_Payload, as identity: ClientIdentity) async throws
        -> Stylefarm_V1_ClientReply.OneOf_Payload? {
        var attempt = 0
        while true {
            let reply = try await ask(payload, as: identity)
            let error: Stylefarm_V1_ClientError?
            switch reply {
            case .uploadQuery(let r)?: error = r.hasError ? r.error : nil
            case .uploadChunk(let r)?: error = r.hasError ? r.error : nil
            case .checkout(let r)?: error = r.hasError ? r.error : nil
            default: error = nil
            }
            guard let error, error.isUploadQueueFull, attempt < 5 else { return reply }
            attempt += 1
            try await Task.sleep(for: .milliseconds(200 * attempt))
        }
    }
}

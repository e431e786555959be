import Coordinator
import Foundation
import Hummingbird
import Protocol

/// A job's events as server-sent events (text/event-stream; the HTML living standard, "Server-sent events"):
/// the coordinator's `WatchJob` stream — what `stylefarm watch` gets — one `event: job` per `JobEvent`, its
/// `id` the event's sequence, its `data` a `JobEventJSON`. The stream ends after the job's terminal event; a
/// comment line every `keepAliveSeconds` keeps idle connections open through proxies. When the client goes
/// away, the watch is dropped on the coordinator.
enum EventStream {
    static let keepAliveSeconds = 15

    enum Item: Sendable {
        case reply(Stylefarm_V1_ClientReply)
        case keepAlive
    }

    /// Starts the watch and answers once the coordinator accepted it (a refusal is an HTTP error, not a stream).
    /// `jobID` empty: every job the caller may see (the coordinator sends nothing until a job changes, and never
    /// refuses it), one summary event per changed job, never terminal.
    static func open(jobID: String, clients: LocalClients, as identity: ClientIdentity, quota: StreamQuota) async throws -> Response {
        let release = try quota.take(for: identity)
        var watch = Stylefarm_V1_WatchJob()
        watch.jobID = jobID
        let (stream, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let posted = clients.post(Stylefarm_V1_ClientRequest(requestID: 0, .watchJob(watch)), as: identity) { reply in
            if case .terminated = continuation.yield(.reply(reply)) { return false }
            if case .jobEvent(let event)? = reply.payload, event.terminal { continuation.finish() }
            if case .error? = reply.payload { continuation.finish() }
            return true
        }
        guard let id = posted else {
            release()
            throw LocalClientsError.busy(capacity: clients.capacity)
        }
        let keepAlive = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(keepAliveSeconds))
                if case .terminated = continuation.yield(.keepAlive) { return }
            }
        }
        continuation.onTermination = { _ in
            keepAlive.cancel()
            clients.stop(id)
            release()
        }
        // What the stream starts with: a job's first answer (which also says whether the watch was accepted),
        // or for the farm, which sends nothing until a job changes, a comment.
        let opening: String
        if jobID.isEmpty {
            opening = ": watching every job\n\n"
        } else {
            var iterator = stream.makeAsyncIterator()
            var first: Stylefarm_V1_ClientReply?
            while first == nil {
                switch await iterator.next() {
                case .reply(let reply)?: first = reply
                case .keepAlive?: continue
                case nil: throw APIError(status: .internalServerError, code: "internal", message: "the coordinator ended the watch without an answer")
                }
            }
            if case .error(let error)? = first!.payload {
                continuation.finish()
                throw APIError(error)
            }
            opening = frame(first!)
        }
        let rest = stream
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: opening))
            // A job's iterator above has consumed the opening reply; the stream's single consumer continues here.
            for await item in rest {
                switch item {
                case .reply(let reply): try await writer.write(ByteBuffer(string: frame(reply)))
                case .keepAlive: try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// One reply as an SSE frame.
    static func frame(_ reply: Stylefarm_V1_ClientReply) -> String {
        switch reply.payload {
        case .jobEvent(let event)?:
            let data = (try? APIHandlers.encoder.encode(JobEventJSON(event))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return "id: \(event.sequence)\nevent: job\ndata: \(data)\n\n"
        case .error(let error)?:
            let body = ErrorJSON(error: .init(code: APIError(error).code, message: error.message))
            let data = (try? APIHandlers.encoder.encode(body)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return "event: error\ndata: \(data)\n\n"
        default:
            return ": unexpected reply\n\n"
        }
    }
}

import Foundation
import Protocol

/// A client of the coordinator's client channel (what `stylefarm submit/status/watch/cancel` use): one
/// DEALER socket, requests tagged with `request_id`, replies matched by it. One thread at a time.
public final class CoordinatorClient {
    public let endpoint: String
    /// How long a request waits for its reply.
    public let timeout: Duration
    public let credential: Credential?

    private let context: ZMQContext
    private let ownsContext: Bool
    private let socket: Socket
    private let framing = Framing()
    private var nextRequestID: UInt64 = 1
    private var closed = false

    /// - Parameter credential: CurveZMQ keys (a submitter or admin credential); nil: plain TCP, for a
    ///   coordinator run with `--insecure`. A coordinator that does not know the key never answers: requests
    ///   time out with a message that says to check the credential.
    public init(endpoint: String, timeout: Duration = .seconds(10), context: ZMQContext? = nil,
                credential: Credential? = nil) throws {
        self.endpoint = endpoint
        self.timeout = timeout
        self.credential = credential
        ownsContext = context == nil
        self.context = try context ?? ZMQContext()
        socket = try self.context.makeSocket(.dealer)
        try socket.setLinger(milliseconds: 0)
        if let credential { try socket.makeCurveClient(serverKey: credential.coordinatorKey, keys: credential.keys) }
        try socket.connect(endpoint)
    }

    deinit { close() }

    public func close() {
        guard !closed else { return }
        closed = true
        socket.close()
        if ownsContext { context.shutdown() }
    }

    // MARK: Requests

    /// Submits a job; returns its id.
    public func submit(_ spec: Stylefarm_V1_JobSpec) throws -> String {
        var request = Stylefarm_V1_SubmitJob()
        request.spec = spec
        guard case .submitJob(let reply) = try roundTrip(.submitJob(request)) else { throw CoordinatorClientError.unexpectedReply }
        switch reply.outcome {
        case .jobID(let id)?: return id
        case .error(let error)?: throw CoordinatorClientError.rejected(error.message)
        case nil: throw CoordinatorClientError.unexpectedReply
        }
    }

    /// A job's summary and, with `frames`, the state of every frame.
    public func status(_ jobID: String, frames: Bool = false) throws -> Stylefarm_V1_JobStatusReply {
        var request = Stylefarm_V1_JobStatusRequest()
        request.jobID = jobID
        request.includeFrames = frames
        guard case .jobStatus(let reply) = try roundTrip(.jobStatus(request)) else { throw CoordinatorClientError.unexpectedReply }
        if reply.hasError { throw CoordinatorClientError.rejected(reply.error.message) }
        return reply
    }

    /// Every job the coordinator knows, oldest first.
    public func list(limit: Int = 0) throws -> [Stylefarm_V1_JobSummary] {
        var request = Stylefarm_V1_ListJobs()
        request.limit = UInt32(clamping: limit)
        guard case .listJobs(let reply) = try roundTrip(.listJobs(request)) else { throw CoordinatorClientError.unexpectedReply }
        return reply.jobs
    }

    /// Cancels a job (its running tasks are stopped on the workers).
    public func cancel(_ jobID: String) throws {
        var request = Stylefarm_V1_CancelJob()
        request.jobID = jobID
        guard case .cancelJob(let reply) = try roundTrip(.cancelJob(request)) else { throw CoordinatorClientError.unexpectedReply }
        if !reply.cancelled { throw CoordinatorClientError.rejected(reply.hasError ? reply.error.message : "not cancelled") }
    }

    /// Changes a job (pause, resume, priority, requeue): the job after it, with what the change touched.
    @discardableResult
    public func control(_ jobID: String, _ action: Stylefarm_V1_JobControl.OneOf_Action) throws -> Stylefarm_V1_JobControlReply {
        var request = Stylefarm_V1_JobControl()
        request.jobID = jobID
        request.action = action
        guard case .jobControl(let reply) = try roundTrip(.jobControl(request)) else { throw CoordinatorClientError.unexpectedReply }
        if reply.hasError { throw CoordinatorClientError.rejected(reply.error.message) }
        return reply
    }

    /// The logs of a job's attempts: one frame's (`frame`, a frame number), or the failed, timed-out and lost
    /// ones; only attempt `attempt` when given; only the running ones, with their live logs, when `running`.
    public func logs(_ jobID: String, frame: Int?, attempt: Int?, running: Bool = false) throws -> Stylefarm_V1_TaskLogReply {
        var request = Stylefarm_V1_TaskLogRequest()
        request.jobID = jobID
        if let frame { request.frame = Int64(frame) }
        request.attempt = UInt32(clamping: attempt ?? 0)
        request.running = running
        guard case .taskLogs(let reply) = try roundTrip(.taskLogs(request)) else { throw CoordinatorClientError.unexpectedReply }
        if reply.hasError { throw CoordinatorClientError.rejected(reply.error.message) }
        return reply
    }

    /// Deletes a job (cancelled first when it runs), with its frames when `outputs`.
    public func delete(_ jobID: String, outputs: Bool) throws -> Stylefarm_V1_DeleteJobReply {
        var request = Stylefarm_V1_DeleteJob()
        request.jobID = jobID
        request.outputs = outputs
        guard case .deleteJob(let reply) = try roundTrip(.deleteJob(request)) else { throw CoordinatorClientError.unexpectedReply }
        if reply.hasError { throw CoordinatorClientError.rejected(reply.error.message) }
        return reply
    }

    /// The farm's workers, with their health and blocklists.
    public func workers() throws -> [Stylefarm_V1_WorkerSummary] {
        guard case .listWorkers(let reply) = try roundTrip(.listWorkers(Stylefarm_V1_ListWorkers())) else {
            throw CoordinatorClientError.unexpectedReply
        }
        if reply.hasError { throw CoordinatorClientError.rejected(reply.error.message) }
        return reply.workers
    }

    /// Clears a worker's unhealthy mark and takes it off every job's blocklist (admin keys only).
    public func reinstateWorker(_ workerID: String) throws -> Stylefarm_V1_ReinstateWorkerReply {
        var request = Stylefarm_V1_ReinstateWorker()
        request.workerID = workerID
        guard case .reinstateWorker(let reply) = try roundTrip(.reinstateWorker(request)) else { throw CoordinatorClientError.unexpectedReply }
        if reply.hasError { throw CoordinatorClientError.rejected(reply.error.message) }
        return reply
    }

    /// Removes the files no job refers to (admin keys only).
    public func collectGarbage() throws -> Stylefarm_V1_CollectGarbageReply {
        guard case .collectGarbage(let reply) = try roundTrip(.collectGarbage(Stylefarm_V1_CollectGarbage())) else {
            throw CoordinatorClientError.unexpectedReply
        }
        if reply.hasError { throw CoordinatorClientError.rejected(reply.error.message) }
        return reply
    }

    /// Follows a job: calls `onEvent` for every event until the job ends (returns the terminal event)
    /// or `stop()` is true (returns nil; checked at least every 200 ms). When the coordinator is silent
    /// for `resubscribeAfter` (it may have restarted), the watch is sent again.
    @discardableResult
    public func watch(_ jobID: String, resubscribeAfter: Duration = .seconds(5), until stop: () -> Bool = { false },
                      onEvent: (Stylefarm_V1_JobEvent) -> Void) throws -> Stylefarm_V1_JobEvent? {
        var request = Stylefarm_V1_WatchJob()
        request.jobID = jobID
        var id = try send(.watchJob(request))
        var lastHeard = ContinuousClock.now
        defer { _ = try? send(.disconnect(Stylefarm_V1_Disconnect())) }
        while !stop() {
            guard let frames = try socket.receiveMultipart(timeout: .milliseconds(200)) else {
                if ContinuousClock.now - lastHeard > resubscribeAfter {
                    id = try send(.watchJob(request))
                    lastHeard = ContinuousClock.now
                }
                continue
            }
            guard let reply = try? framing.decode(Stylefarm_V1_ClientReply.self, from: frames).message,
                  reply.requestID == id else { continue }
            lastHeard = ContinuousClock.now
            switch reply.payload {
            case .jobEvent(let event)?:
                onEvent(event)
                if event.terminal { return event }
            case .error(let error)?:
                throw CoordinatorClientError.rejected(error.message)
            default:
                continue
            }
        }
        return nil
    }

    // MARK: Uploads (docs/PROTOCOL.md "Uploads"; `JobUpload` drives them)

    /// The names among `names` (at most 10,000) the coordinator's upload store lacks.
    public func missingBlobs(_ names: [String]) throws -> [String] {
        var request = Stylefarm_V1_UploadQuery()
        request.sha256 = names
        guard case .uploadQuery(let reply) = try roundTrip(.uploadQuery(request)) else { throw CoordinatorClientError.unexpectedReply }
        if reply.hasError { throw CoordinatorClientError.rejected(reply.error.message) }
        return reply.missing
    }

    /// Sends blob `sha256` (`totalSize` bytes, read in order by `read(offset, count)`) in chunks of `chunkBytes`,
    /// up to `window` chunks ahead of their replies. Returns when the coordinator has stored it; throws its
    /// refusal (`rejected`, with `busy` true when only its queue was full: send it again later).
    public func upload(sha256: String, totalSize: UInt64, chunkBytes: Int = FarmDefaults.uploadChunkBytes, window: Int = 8,
                       read: (UInt64, Int) throws -> Data) throws {
        let step = UInt64(max(1, chunkBytes))
        var nextOffset: UInt64 = 0
        var sentLast = false
        var waiting: [UInt64] = []   // request ids in flight, oldest first
        while true {
            while !sentLast && waiting.count < max(1, window) {
                let count = Int(min(step, totalSize - nextOffset))
                let bytes = try read(nextOffset, count)
                guard bytes.count == count else { throw CoordinatorClientError.uploadSourceChanged(sha256: sha256) }
                var chunk = Stylefarm_V1_UploadChunk()
                chunk.sha256 = sha256
                chunk.totalSize = totalSize
                chunk.offset = nextOffset
                chunk.data = .attachment(0)
                nextOffset += UInt64(count)
                chunk.last = nextOffset == totalSize
                sentLast = chunk.last
                waiting.append(try send(.uploadChunk(chunk), attachments: [bytes]))
            }
            guard !waiting.isEmpty else { return }
            let id = waiting.removeFirst()
            guard case .uploadChunk(let answer) = try reply(to: id, within: timeout) else { throw CoordinatorClientError.unexpectedReply }
            if answer.hasError {
                throw answer.error.isUploadQueueFull
                    ? CoordinatorClientError.busy(answer.error.message) : CoordinatorClientError.rejected(answer.error.message)
            }
            if answer.stored { return }
        }
    }

    /// Lays `files` (checkout path, blob name; at most 4,000) out in checkout `id` (empty: a new one).
    /// Returns the checkout's id and its folder on the coordinator.
    public func checkout(id: String, files: [(path: String, sha256: String)]) throws -> (id: String, root: String) {
        var request = Stylefarm_V1_Checkout()
        request.checkoutID = id
        request.files = files.map { file in
            var f = Stylefarm_V1_CheckoutFile()
            f.path = file.path
            f.sha256 = file.sha256
            return f
        }
        guard case .checkout(let reply) = try roundTrip(.checkout(request)) else { throw CoordinatorClientError.unexpectedReply }
        if reply.hasError { throw CoordinatorClientError.rejected(reply.error.message) }
        return (reply.checkoutID, reply.root)
    }

    // MARK: Transport

    private func send(_ payload: Stylefarm_V1_ClientRequest.OneOf_Payload, attachments: [Data] = []) throws -> UInt64 {
        let id = nextRequestID
        nextRequestID += 1
        try socket.send(multipart: try framing.encode(Stylefarm_V1_ClientRequest(requestID: id, payload), attachments: attachments))
        return id
    }

    private func roundTrip(_ payload: Stylefarm_V1_ClientRequest.OneOf_Payload) throws -> Stylefarm_V1_ClientReply.OneOf_Payload {
        try reply(to: try send(payload), within: timeout)
    }

    /// The reply to request `id`; replies to earlier requests (or events of an earlier watch) are skipped.
    private func reply(to id: UInt64, within limit: Duration) throws -> Stylefarm_V1_ClientReply.OneOf_Payload {
        let deadline = ContinuousClock.now + limit
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero, let frames = try socket.receiveMultipart(timeout: left) else {
                throw CoordinatorClientError.timeout(endpoint: endpoint, after: timeout, credential: credential?.name)
            }
            guard let reply = try? framing.decode(Stylefarm_V1_ClientReply.self, from: frames).message,
                  reply.requestID == id else { continue }
            if case .error(let error)? = reply.payload { throw CoordinatorClientError.rejected(error.message) }
            guard let payload = reply.payload else { throw CoordinatorClientError.unexpectedReply }
            return payload
        }
    }
}

/// Why a coordinator request failed.
public enum CoordinatorClientError: Error, Equatable, CustomStringConvertible {
    /// No reply in time: the coordinator is not running, or not at that endpoint, or (CurveZMQ) it does not
    /// know the credential `credential` names, or uses another key, or runs with `--insecure`.
    case timeout(endpoint: String, after: Duration, credential: String?)
    /// The coordinator answered with an error (its message says what to fix).
    case rejected(String)
    /// The reply was not the kind the request expects.
    case unexpectedReply
    /// The coordinator's upload queue was full (other clients are uploading): send the blob again later.
    case busy(String)
    /// A file changed while it was being uploaded (fewer bytes than when it was hashed).
    case uploadSourceChanged(sha256: String)

    public var description: String {
        switch self {
        case .timeout(let endpoint, let after, let credential):
            let base = "no answer from a coordinator at \(endpoint) within \(after.components.seconds) s; is `stylefarm coordinator` running there (see --coordinator)"
            guard let credential else {
                return base + ", and does it run with --insecure (without it, it answers only clients with a credential: --credential or $\(Credential.environmentVariable))?"
            }
            return base + ", and is the credential \"\(credential)\" authorized there (stylefarm keys list on the coordinator; its key may have been revoked)?"
        case .rejected(let message):
            return message
        case .unexpectedReply:
            return "the coordinator sent an unexpected reply (protocol mismatch?)"
        case .busy(let message):
            return message
        case .uploadSourceChanged(let sha256):
            return "a file changed while it was uploaded (blob \(sha256)); submit again"
        }
    }
}

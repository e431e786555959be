import Engine
import Foundation
import Protocol
import XCTest
@testable import Coordinator

/// A coordinator server on 127.0.0.1 (random ports) in a temporary state directory, stepped with
/// `runOnce` on the test thread, plus fake workers and clients (DEALER sockets) that speak the
/// protocol with `Framing`.
final class ServerHarness {
    let context: ZMQContext
    let stateDirectory: URL
    let interval: Duration
    let liveness: Int
    var server: CoordinatorServer
    var workers: [FakeWorker] = []
    let framing = Framing()

    /// Changes to the server's configuration (kept for restarts).
    let configure: @Sendable (inout CoordinatorServer.Configuration) -> Void

    init(interval: Duration = .milliseconds(100), liveness: Int = 3, stateDirectory: URL? = nil,
         configure: @escaping @Sendable (inout CoordinatorServer.Configuration) -> Void = { _ in }) throws {
        context = try ZMQContext()
        self.interval = interval
        self.liveness = liveness
        self.configure = configure
        if let stateDirectory {
            self.stateDirectory = stateDirectory
        } else {
            self.stateDirectory = FileManager.default.temporaryDirectory
                .appendingPathComponent("stylefarm-server-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: self.stateDirectory, withIntermediateDirectories: true)
        }
        server = try Self.makeServer(context: context, stateDirectory: self.stateDirectory, interval: interval, liveness: liveness,
                                     configure: configure)
    }

    static func makeServer(context: ZMQContext, stateDirectory: URL, interval: Duration, liveness: Int,
                           configure: (inout CoordinatorServer.Configuration) -> Void = { _ in }) throws -> CoordinatorServer {
        var configuration = CoordinatorServer.Configuration(stateDirectory: stateDirectory,
                                                            workerEndpoint: "tcp://127.0.0.1:*",
                                                            clientEndpoint: "tcp://127.0.0.1:*",
                                                            heartbeatInterval: interval, heartbeatLiveness: liveness,
                                                            blobChunkBytes: 64 << 10)
        configure(&configuration)
        // Seeded random VGG weights: the coordinator computes style targets without installed models.
        let host = VGGCache { network, pooling in try VGG.seededRandomWeights(network, pooling: pooling) }
        let server = try CoordinatorServer(configuration: configuration, context: context, vggCache: host)
        server.log = { _ in }
        return server
    }

    /// Closes the server and opens a new one on the same state directory (new ports).
    func restartServer() throws {
        server.close()
        server = try Self.makeServer(context: context, stateDirectory: stateDirectory, interval: interval, liveness: liveness,
                                     configure: configure)
    }

    func close() {
        for w in workers { w.socket.close() }
        server.close()
        try? FileManager.default.removeItem(at: stateDirectory)
    }

    func worker(_ id: String) throws -> FakeWorker {
        let w = try FakeWorker(id: id, harness: self)
        workers.append(w)
        return w
    }

    func client() throws -> FakeClient { try FakeClient(harness: self) }

    /// One server step plus heartbeats from the fake workers that keep beating.
    func step() throws {
        try server.runOnce(timeout: .milliseconds(5))
        let now = ContinuousClock.now
        for w in workers where w.beating && w.registered {
            if w.lastBeat.duration(to: now) >= interval / 2 {
                w.lastBeat = now
                try w.send(.heartbeat(Stylefarm_V1_Heartbeat()))
            }
        }
    }

    /// Steps the server until `condition` holds or `timeout` passes.
    @discardableResult
    func pump(timeout: Duration = .seconds(5), until condition: () throws -> Bool) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            try step()
            if try condition() { return true }
        }
        return try condition()
    }

    /// Steps the server for `duration`.
    func pump(for duration: Duration) throws {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline { try step() }
    }
}

final class FakeWorker {
    let id: String
    let socket: Socket
    unowned let harness: ServerHarness
    var beating = true
    var registered = false
    var lastBeat = ContinuousClock.now
    /// Messages received and not yet taken by `next`.
    var inbox: [Framed<Stylefarm_V1_CoordinatorMessage>] = []

    init(id: String, harness: ServerHarness) throws {
        self.id = id
        self.harness = harness
        socket = try harness.context.makeSocket(.dealer)
        try socket.setRoutingID(Data(id.utf8))
        try socket.connect(harness.server.workerEndpoint)
    }

    func reconnect() throws {
        try socket.connect(harness.server.workerEndpoint)
    }

    func send(_ payload: Stylefarm_V1_WorkerMessage.OneOf_Payload, attachments: [Data] = []) throws {
        try socket.send(multipart: try harness.framing.encode(Stylefarm_V1_WorkerMessage(payload), attachments: attachments))
    }

    func drain() throws {
        while let frames = try socket.receiveMultipart(timeout: .zero) {
            inbox.append(try harness.framing.decode(Stylefarm_V1_CoordinatorMessage.self, from: frames))
        }
    }

    /// Steps the server until a message matching `match` arrives; earlier non-matching messages stay
    /// in the inbox (heartbeats are discarded).
    func next<T>(timeout: Duration = .seconds(5), _ match: (Stylefarm_V1_CoordinatorMessage.OneOf_Payload, [Data]) -> T?) throws -> T? {
        var found: T?
        try harness.pump(timeout: timeout) {
            try drain()
            inbox.removeAll { if case .heartbeat? = $0.message.payload { return true } else { return false } }
            if let i = inbox.firstIndex(where: { m in m.message.payload.flatMap { p in match(p, m.attachments) } != nil }) {
                let m = inbox.remove(at: i)
                found = match(m.message.payload!, m.attachments)
                return true
            }
            return false
        }
        return found
    }

    func nextTask(timeout: Duration = .seconds(5)) throws -> Stylefarm_V1_TaskAssignment? {
        try next(timeout: timeout) { p, _ in if case .task(let t) = p { return t } else { return nil } }
    }

    /// Tasks that arrive within `duration`.
    func tasks(within duration: Duration) throws -> [Stylefarm_V1_TaskAssignment] {
        try harness.pump(for: duration)
        try drain()
        var tasks: [Stylefarm_V1_TaskAssignment] = []
        inbox.removeAll { m in
            if case .task(let t)? = m.message.payload { tasks.append(t); return true }
            return false
        }
        return tasks
    }

    @discardableResult
    func register(slots: UInt32 = 1) throws -> Stylefarm_V1_RegisterAck? {
        var r = Stylefarm_V1_Register()
        r.workerID = id
        r.hostname = "test-host"
        r.cores = 2
        r.protocolVersion = ProtocolVersion.major
        r.slots = slots
        try send(.register(r))
        let ack = try next { p, _ in if case .registerAck(let a) = p { return a } else { return nil } }
        registered = ack?.accepted == true
        lastBeat = .now
        return ack
    }

    func ready(_ free: UInt32) throws {
        var r = Stylefarm_V1_Ready()
        r.freeSlots = free
        try send(.ready(r))
    }

    func result(_ task: Stylefarm_V1_TaskAssignment, attempt: UInt32? = nil, bytes: Data = Data("done".utf8), inline: Bool = true,
                credit: UInt32? = nil) throws {
        var r = Stylefarm_V1_Result()
        if let credit { r.freeSlots = credit }
        r.taskID = task.taskID
        r.attempt = attempt ?? task.attempt
        r.output.sha256 = BlobName.of(bytes)
        r.output.size = UInt64(bytes.count)
        // What a real worker reports with every result.
        r.stats.wallSeconds = 0.01
        r.stats.peakRssBytes = 64 << 20
        if inline {
            r.data = .attachment(0)
            try send(.result(r), attachments: [bytes])
        } else {
            try send(.result(r))
        }
    }

    func failure(_ task: Stylefarm_V1_TaskAssignment, retryable: Bool, message: String, credit: UInt32? = nil,
                 kind: Stylefarm_V1_FailureKind = .engine) throws {
        var f = Stylefarm_V1_Failure()
        if let credit { f.freeSlots = credit }
        f.taskID = task.taskID
        f.attempt = task.attempt
        f.kind = kind
        f.message = message
        f.retryable = retryable
        try send(.failure(f))
    }
}

final class FakeClient {
    let socket: Socket
    unowned let harness: ServerHarness
    var nextRequestID: UInt64 = 1
    var inbox: [Stylefarm_V1_ClientReply] = []

    init(harness: ServerHarness) throws {
        self.harness = harness
        socket = try harness.context.makeSocket(.dealer)
        try socket.connect(harness.server.clientEndpoint)
    }

    func send(_ payload: Stylefarm_V1_ClientRequest.OneOf_Payload, attachments: [Data] = []) throws -> UInt64 {
        let id = nextRequestID
        nextRequestID += 1
        try socket.send(multipart: try harness.framing.encode(Stylefarm_V1_ClientRequest(requestID: id, payload), attachments: attachments))
        return id
    }

    func reply(to id: UInt64, timeout: Duration = .seconds(5)) throws -> Stylefarm_V1_ClientReply? {
        var found: Stylefarm_V1_ClientReply?
        try harness.pump(timeout: timeout) {
            while let frames = try socket.receiveMultipart(timeout: .zero) {
                inbox.append(try harness.framing.decode(Stylefarm_V1_ClientReply.self, from: frames).message)
            }
            if let i = inbox.firstIndex(where: { $0.requestID == id }) { found = inbox.remove(at: i); return true }
            return false
        }
        return found
    }

    func request(_ payload: Stylefarm_V1_ClientRequest.OneOf_Payload, attachments: [Data] = []) throws -> Stylefarm_V1_ClientReply? {
        try reply(to: try send(payload, attachments: attachments))
    }

    func submit(_ spec: Stylefarm_V1_JobSpec) throws -> String {
        var s = Stylefarm_V1_SubmitJob()
        s.spec = spec
        // A stylize job's submission computes its style targets with VGG off the loop: seconds on a loaded 2-core
        // machine (a fresh-clone CI once took more than 5).
        let reply = try reply(to: try send(.submitJob(s)), timeout: .seconds(30))
        guard case .submitJob(let r)? = reply?.payload, case .jobID(let id)? = r.outcome else {
            let reason: String
            if case .submitJob(let r)? = reply?.payload, case .error(let e)? = r.outcome { reason = e.message }
            else { reason = reply.map { "\($0.payload.map { "\($0)" } ?? "an empty reply")" } ?? "no reply" }
            XCTFail("submit failed: \(reason)")
            return ""
        }
        return id
    }

    /// `TaskLogRequest`: one frame's attempts (or the job's failed ones), only attempt `attempt` when not 0, only the
    /// running ones when `running`.
    func logs(_ jobID: String, frame: Int64?, attempt: UInt32 = 0, running: Bool = false) throws -> Stylefarm_V1_TaskLogReply {
        var request = Stylefarm_V1_TaskLogRequest()
        request.jobID = jobID
        if let frame { request.frame = frame }
        request.attempt = attempt
        request.running = running
        guard case .taskLogs(let reply)? = try self.request(.taskLogs(request))?.payload else {
            XCTFail("no log reply")
            return Stylefarm_V1_TaskLogReply()
        }
        return reply
    }

    func status(_ jobID: String, frames: Bool = false) throws -> Stylefarm_V1_JobStatusReply? {
        var s = Stylefarm_V1_JobStatusRequest()
        s.jobID = jobID
        s.includeFrames = frames
        guard case .jobStatus(let r)? = try request(.jobStatus(s))?.payload else { return nil }
        return r
    }
}

extension ServerHarness {
    /// A stylize job over files in `<state>/job`: writes `plates` (frame number → image) as `plate.####.png` and
    /// `style` as `style.png`; the spec renders `frames` of them into `out/<name>.####.png`. Engine parameters
    /// and options are the caller's.
    func stylizeJob(name: String, plates: [Int: Image], style: Image, frames: String) throws -> (spec: Stylefarm_V1_JobSpec, dir: URL) {
        let dir = stateDirectory.appendingPathComponent("job", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (frame, image) in plates {
            try ImageWriter.writePNG(image, to: dir.appendingPathComponent(String(format: "plate.%04d.png", frame)).path)
        }
        try ImageWriter.writePNG(style, to: dir.appendingPathComponent("style.png").path)
        var spec = Stylefarm_V1_JobSpec()
        spec.name = name
        spec.contentPattern = dir.appendingPathComponent("plate.####.png").path
        spec.frames = frames
        spec.stylePaths = [dir.appendingPathComponent("style.png").path]
        spec.outputPattern = dir.appendingPathComponent("out/\(name).####.png").path
        return (spec, dir)
    }
}

func echoSpec(name: String = "echo", frames: String = "1", maxAttempts: UInt32 = 0) -> Stylefarm_V1_JobSpec {
    var spec = Stylefarm_V1_JobSpec()
    spec.name = name
    spec.frames = frames
    spec.kind = .echo
    spec.echoSeconds = 1
    spec.options.maxAttempts = maxAttempts
    return spec
}

import Engine
import FarmWire
import Foundation
import JobModel
import Protocol

/// The coordinator's server loop: two ROUTER sockets (workers, clients), one `Poller`, the job store,
/// worker liveness and credit-based dispatch (docs/PROTOCOL.md). Runs on ONE thread that owns both
/// sockets: create it, call `runOnce`/`run` and `close` on that thread. Not Sendable.
///
/// Each `runOnce` iteration: wait for a message or the next heartbeat deadline, take every queued
/// message from both sockets, handle them (store changes are collected and written in ONE `apply`
/// per iteration), declare silent workers dead and requeue their tasks, dispatch queued tasks to
/// workers with credit, send due heartbeats, push watch events.
public final class CoordinatorServer {
    public struct Configuration: Sendable {
        public var workerEndpoint: String
        public var clientEndpoint: String
        /// Where `jobs.sqlite` lives.
        public var stateDirectory: URL
        public var heartbeatInterval: Duration
        public var heartbeatLiveness: Int
        public var maxMessageBytes: Int
        public var blobChunkBytes: Int
        public var coordinatorID: String
        /// CurveZMQ and the ZAP handler on both sockets; nil: plain TCP (tests, `--insecure` on loopback).
        public var security: CoordinatorSecurity?
        /// The most task slots a worker may register (`--max-slots-per-worker`).
        public var maxSlotsPerWorker = 1024
        /// The most tasks one job may plan (`--max-tasks-per-job`).
        public var maxTasksPerJob = Configuration.defaultMaxTasksPerJob
        /// The largest frame a client may send (ZMQ_MAXMSGSIZE on the client socket; requests are job specs and
        /// queries, never pixels): a peer sending more is disconnected by libzmq before it is buffered whole.
        public var maxClientFrameBytes = 1 << 20
        /// The folders a job's files may be read from and its outputs written to (`--allow-read`, `--allow-write`).
        public var pathPolicy = PathPolicy.unrestricted

        public static let defaultMaxTasksPerJob = 1_000_000

        public init(stateDirectory: URL,
                    workerEndpoint: String = FarmDefaults.workerEndpoint,
                    clientEndpoint: String = FarmDefaults.clientEndpoint,
                    heartbeatInterval: Duration = FarmDefaults.heartbeatInterval,
                    heartbeatLiveness: Int = FarmDefaults.heartbeatLiveness,
                    maxMessageBytes: Int = FarmDefaults.maxMessageBytes,
                    blobChunkBytes: Int = FarmDefaults.blobChunkBytes,
                    coordinatorID: String = "coordinator",
                    security: CoordinatorSecurity? = nil) {
            self.stateDirectory = stateDirectory
            self.workerEndpoint = workerEndpoint
            self.clientEndpoint = clientEndpoint
            self.heartbeatInterval = heartbeatInterval
            self.heartbeatLiveness = max(1, heartbeatLiveness)
            self.maxMessageBytes = maxMessageBytes
            self.blobChunkBytes = max(1, blobChunkBytes)
            self.coordinatorID = coordinatorID
            self.security = security
        }

        var intervalSeconds: Double { heartbeatInterval / .seconds(1) }
    }

    struct WorkerSession {
        var routingID: Data
        var lastSent: Date
        var lastReceived: Date
        var heartbeatSequence: UInt64 = 0
        /// When `workers.last_seen` was last written for this worker.
        var lastPersisted = Date.distantPast
        /// What it registered with: memory (0 = unknown) and task slots (for the default tile budget).
        var memoryBytes = 0
        var slots = 1
        /// The last send to it failed (logged once until a send succeeds).
        var unreachable = false
    }

    /// The most task slots a worker may register with (each is a task it may hold at once).
    /// The longest hostname or engine version a worker may register with, in bytes.
    static let maxWorkerTextBytes = 255
    /// The longest failure text a worker's report keeps (longer ones are cut, and say so).
    static let maxErrorBytes = 4096

    /// `text` cut to at most `bytes` bytes of UTF-8 on a character boundary, marked when it was cut.
    static func bounded(_ text: String, bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        let marker = " … (cut at \(bytes) bytes)"
        var kept = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            guard used + size + marker.utf8.count <= bytes else { break }
            kept.append(character)
            used += size
        }
        return kept + marker
    }

    /// How often a live worker's `last_seen` is written to the store (operators see it in `workers`).
    static let lastSeenPersistInterval: TimeInterval = 5

    /// An output blob being pulled from a worker.
    struct OutputFetch {
        var taskID: String
        var jobID: String
        var attempt: Int
        var workerID: String
        var outputPath: String
        var assembly: BlobAssembly
    }

    struct Watcher {
        var routingID: Data
        var delimited: Bool
        var requestID: UInt64
        var jobID: String
        var sequence: UInt64 = 0
    }

    public let configuration: Configuration
    public let store: SQLiteJobStore
    /// Counters of what happened so far.
    public internal(set) var stats = ServerStats()
    /// The bound endpoints (wildcard ports resolved), for tests and logs.
    public var workerEndpoint: String { workers.boundEndpoint }
    public var clientEndpoint: String { clients.boundEndpoint }
    /// Called on the server thread with each task's round trip in seconds (assignment sent → result
    /// received), when set. For benchmarks (`stylefarm bench dispatch`).
    public var onRoundTrip: ((Double) -> Void)?
    /// Tasks this server assigned and has not heard the end of: task id → (job, frame, attempt, worker,
    /// when it was sent in `DispatchTime` nanoseconds). Lets a result be checked without a database read;
    /// results of tasks assigned before a restart fall back to the store.
    var assigned: [String: (sent: ReportCheck.Sent, sentAt: UInt64)] = [:]
    /// Messages are logged here (default: standard error).
    public var log: (String) -> Void = { line in FileHandle.standardError.write(Data(("coordinator: " + line + "\n").utf8)) }

    let clock: any FarmClock
    let context: ZMQContext
    let workers: RouterEndpoint<Stylefarm_V1_WorkerMessage>
    let clients: RouterEndpoint<Stylefarm_V1_ClientRequest>
    let poller = Poller()
    /// The ZAP handler's socket and the keys it checks (when `configuration.security` is set).
    let zap: Socket?
    let authorizedKeys: AuthorizedKeysSource?
    /// When each refused key (and address) was last logged: a refused peer retries every few 100 ms.
    var refusalsLogged: [String: Date] = [:]
    var liveness: WorkerLiveness
    var sessions: [String: WorkerSession] = [:]
    /// Worker ids registered at least once since this server started.
    var knownWorkers: Set<String> = []
    var jobContexts: [String: JobContext] = [:]
    /// Content-addressed inputs this coordinator serves: SHA-256 hex → file path (read lazily).
    var blobs: [String: String] = [:]
    /// Input files hashed off the loop, and the claims waiting for one (`InputHashes`).
    var inputHashes = InputHashes()
    /// The blobs each worker may fetch: those its held tasks' assignments name.
    var blobGrants = BlobGrants()
    var fetches: [String: OutputFetch] = [:]
    var watchers: [Watcher] = []
    /// Latest progress of running tasks (task id → progress), for watchers.
    var taskProgress: [String: Stylefarm_V1_Progress] = [:]
    /// Jobs whose running tasks reported progress since the last progress event.
    var progressedJobs: Set<String> = []
    var lastProgressEvent = Date.distantPast
    let styleTargets: StyleTargetsStore
    var pendingChanges: [StateChange] = []
    var frameEvents: [(jobID: String, frameIndex: Int)] = []
    /// Tiles decoded, blended and their frames encoded and written off the loop (`TileReassembly`).
    let reassembly: ReassemblyThread
    /// Assembly keys whose tiles the reassembly thread holds (as far as the loop knows).
    var openAssemblies: Set<String> = []
    /// Earlier steps of tiled frames already assembled and kept: `assemblyKey` → the intermediate's hash.
    var assembledScales: [String: String] = [:]
    /// Style targets combined from the workers' parts (CoordinatorServer+StyleGrams.swift): `<job>|<scale>` → blob.
    var combinedTargets: [String: String] = [:]
    /// Submissions run off the loop (`JobSubmission`); their outcomes come back through its wake signal.
    let submissions: OffLoopQueue<FinishedSubmission>
    /// Blobs read and checked off the loop for serving (`serveBlobs`), sent in chunks when back.
    let blobReads: OffLoopQueue<BlobRead>
    /// Outputs hashed and written off the loop (`acceptOutput`), recorded when back.
    let outputWrites: OffLoopQueue<WrittenOutput>
    /// Input files (content frames, masks, styles) read and hashed off the loop the first time a task names them.
    let inputHashing: OffLoopQueue<HashedInput>
    var closed = false

    /// - Parameter vggCache: the VGG network used to compute each stylize job's style targets once
    ///   (`StyleTargetsStore`); without it the server takes echo jobs only.
    public init(configuration: Configuration, context: ZMQContext? = nil, clock: any FarmClock = SystemFarmClock(),
                vggCache: VGGCache? = nil) throws {
        self.configuration = configuration
        self.clock = clock
        styleTargets = StyleTargetsStore(directory: configuration.stateDirectory.appendingPathComponent("blobs", isDirectory: true),
                                         host: vggCache)
        self.context = try context ?? ZMQContext()
        store = try SQLiteJobStore(stateDirectory: configuration.stateDirectory)
        let report = try store.recoverAfterRestart(now: clock.now())
        let framing = Framing(maxMessageBytes: configuration.maxMessageBytes)
        if let security = configuration.security {
            // The handler must be bound before any CURVE socket takes a handshake.
            let zap = try self.context.makeSocket(.rep)
            try zap.bind(CoordinatorSecurity.zapEndpoint)
            self.zap = zap
            switch security.authorized {
            case .fixed(let keys): authorizedKeys = AuthorizedKeysSource(fixed: keys)
            case .file(let path):
                authorizedKeys = AuthorizedKeysSource(path: path) { line in
                    FileHandle.standardError.write(Data(("coordinator: " + line + "\n").utf8))
                }
            }
        } else {
            zap = nil
            authorizedKeys = nil
        }
        let curve = configuration.security?.keys
        workers = try RouterEndpoint(context: self.context, endpoint: configuration.workerEndpoint, framing: framing,
                                     curve: curve.map { ($0, FarmRole.workerDomain) })
        clients = try RouterEndpoint(context: self.context, endpoint: configuration.clientEndpoint, framing: framing,
                                     curve: curve.map { ($0, FarmRole.clientDomain) },
                                     maxInboundFrameBytes: configuration.maxClientFrameBytes)
        if let zap { poller.register(zap) }
        poller.register(workers.socket)
        poller.register(clients.socket)
        submissions = try OffLoopQueue(label: "stylefarm.coordinator.submission")
        blobReads = try OffLoopQueue(label: "stylefarm.coordinator.blob-reads")
        outputWrites = try OffLoopQueue(label: "stylefarm.coordinator.output-writes")
        inputHashing = try OffLoopQueue(label: "stylefarm.coordinator.input-hashing")
        reassembly = try ReassemblyThread(intermediateDirectory: configuration.stateDirectory
            .appendingPathComponent("intermediate", isDirectory: true))
        poller.register(fileDescriptor: submissions.wake.fileDescriptor)
        poller.register(fileDescriptor: blobReads.wake.fileDescriptor)
        poller.register(fileDescriptor: outputWrites.wake.fileDescriptor)
        poller.register(fileDescriptor: inputHashing.wake.fileDescriptor)
        poller.register(fileDescriptor: reassembly.queue.wake.fileDescriptor)
        liveness = WorkerLiveness(configuration: .init(heartbeatInterval: configuration.intervalSeconds,
                                                       missedIntervals: configuration.heartbeatLiveness))
        stats.requeued = report.requeuedTasks
    }

    deinit { close() }

    var clientsEndpoint: RouterEndpoint<Stylefarm_V1_ClientRequest> { clients }
    func recordDrop(_ reason: String) { stats.drop(reason) }
    func now() -> Date { clock.now() }

    /// Closes both sockets and the store (idempotent).
    public func close() {
        guard !closed else { return }
        closed = true
        // A submission still writing finishes first (its client gets no answer: the socket is closing).
        submissions.waitUntilIdle()
        blobReads.waitUntilIdle()
        // An output written but not recorded is rendered again after a restart (its task is still assigned).
        outputWrites.waitUntilIdle()
        reassembly.queue.waitUntilIdle()
        inputHashing.waitUntilIdle()
        workers.close()
        clients.close()
        zap?.close()
        try? store.close()
    }

    /// Serves until `stop()` returns true (checked after every iteration).
    public func run(until stop: () -> Bool) throws {
        while !stop() { try runOnce(timeout: configuration.heartbeatInterval) }
    }

    /// One iteration; waits at most `timeout` (and no longer than the next heartbeat deadline).
    public func runOnce(timeout: Duration) throws {
        let wait = min(timeout, timeUntilNextDeadline())
        _ = try poller.poll(timeout: wait)

        answerZAP()
        var budget = 1000
        while budget > 0, let received = try workers.receive() {
            budget -= 1
            stats.received += 1
            switch received {
            case .malformed(_, let error):
                stats.drop("malformed"); log("dropped a worker message: \(error)")
            case .message(let routed, _):
                handleWorker(routed)
            }
        }
        budget = 1000
        while budget > 0, let received = try clients.receive() {
            budget -= 1
            stats.received += 1
            switch received {
            case .malformed(_, let error):
                stats.drop("malformed"); log("dropped a client message: \(error)")
            case .message(let routed, let peer):
                handleClient(routed, as: ClientIdentity(userID: peer))
            }
        }
        answerSubmissions()
        sendBlobReads()
        recordWrittenOutputs()
        recordLandedTiles()
        flushChanges()
        checkLiveness()
        assignHashedInputs()
        dispatch()
        flushChanges()
        sendHeartbeats()
        pushWatchEvents()
    }

    func timeUntilNextDeadline() -> Duration {
        let now = clock.now()
        let interval = configuration.intervalSeconds
        var next = interval
        for (id, session) in sessions where liveness.isAlive(id) {
            next = min(next, session.lastSent.addingTimeInterval(interval).timeIntervalSince(now))
            next = min(next, session.lastReceived.addingTimeInterval(liveness.configuration.deadline).timeIntervalSince(now))
        }
        return .milliseconds(max(0, Int((next * 1000).rounded(.up))))
    }

    // MARK: Store batching

    func flushChanges() {
        guard !pendingChanges.isEmpty else { return }
        let changes = pendingChanges
        pendingChanges = []
        do {
            let outcomes = try store.apply(changes, now: clock.now())
            for (change, outcome) in zip(changes, outcomes) {
                switch outcome {
                case .task(.completed):
                    stats.completed += 1
                    noteFrameEvent(change)
                case .task(.failed):
                    noteFrameEvent(change)
                case .ignored:
                    stats.staleReports += 1
                default: break
                }
            }
            if outcomes.contains(where: { $0 == .task(.completed) || $0 == .task(.failed) }) { releaseFinishedIntermediates() }
        } catch {
            // One bad id fails the whole batch: apply the rest one by one.
            log("batch of \(changes.count) changes failed (\(error)); applying one by one")
            for change in changes {
                if let outcome = try? store.apply([change], now: clock.now()).first {
                    if case .task(.completed) = outcome { stats.completed += 1; noteFrameEvent(change) }
                    if case .task(.failed) = outcome { noteFrameEvent(change) }
                    if case .ignored = outcome { stats.staleReports += 1 }
                }
            }
        }
    }

    func noteFrameEvent(_ change: StateChange) {
        guard !watchers.isEmpty else { return }
        let taskID: String
        switch change {
        case .completed(let id, _, _), .failed(let id, _, _, _): taskID = id
        default: return
        }
        if let task = try? store.task(taskID) { frameEvents.append((task.jobID, task.frameIndex)) }
    }

    // MARK: Workers

    func send(toWorker id: String, _ payload: Stylefarm_V1_CoordinatorMessage.OneOf_Payload, attachments: [Data] = []) {
        guard var session = sessions[id] else { return }
        // A failed send counts as an attempt too: heartbeats stay one per interval while a worker is away
        // (reconnecting after the loop was busy), instead of a send — and a log line — per loop iteration.
        session.lastSent = clock.now()
        if workers.send(Stylefarm_V1_CoordinatorMessage(payload), attachments: attachments, to: session.routingID) {
            session.unreachable = false
        } else {
            stats.drop("unreachable")
            if !session.unreachable { log("could not send to worker \(id); it is away (further failures are not logged)") }
            session.unreachable = true
        }
        sessions[id] = session
    }

    func handleWorker(_ routed: Routed<Stylefarm_V1_WorkerMessage>) {
        let id = String(decoding: routed.routingID, as: UTF8.self)
        let now = clock.now()
        if case .register(let register)? = routed.message.payload {
            handleRegister(register, id: id, routingID: routed.routingID, now: now)
            return
        }
        guard knownWorkers.contains(id), sessions[id] != nil else {
            stats.drop("unknownSender"); log("dropped a message from unregistered worker \(id.debugDescription)")
            return
        }
        sessions[id]?.lastReceived = now
        let alive = liveness.heartbeat(id, now: now) == .accepted
        if alive, let persisted = sessions[id]?.lastPersisted, now.timeIntervalSince(persisted) >= Self.lastSeenPersistInterval {
            sessions[id]?.lastPersisted = now
            _ = try? store.recordHeartbeat(workerID: id, at: now)
        }
        switch routed.message.payload {
        case .ready(let ready)?:
            guard alive else { stats.drop("deadSender"); return }
            liveness.announce(id, freeSlots: Int(clamping: ready.freeSlots))
        case .heartbeat?:
            break
        case .progress(let progress)?:
            noteProgress(progress)
        case .result(let result)?:
            handleResult(result, attachments: routed.attachments, workerID: id)
        case .failure(let failure)?:
            // Only the holder of the current attempt can fail it.
            guard case .current = checkReport(on: failure.taskID, attempt: Int(failure.attempt), from: id) else {
                stats.staleReports += 1
                log("ignored a failure of \(Self.bounded(failure.taskID, bytes: 200).debugDescription) attempt \(failure.attempt) from \(id), which does not hold it")
                return
            }
            endAssignment(failure.taskID, of: id)
            // A peer's text, kept in the store and shown to users: bounded.
            pendingChanges.append(.failed(taskID: failure.taskID, attempt: Int(failure.attempt),
                                          error: failure.message.isEmpty ? "\(failure.kind)" : Self.bounded(failure.message, bytes: Self.maxErrorBytes),
                                          retryable: failure.retryable))
        case .blobRequest(let request)?:
            serveBlobs(request, to: id)
        case .blobData(let data)?:
            receiveOutputChunk(data, attachments: routed.attachments, workerID: id)
        case .disconnect?:
            declareDead(id, reason: "disconnected")
        case .register?, nil:
            break
        }
    }

    func handleRegister(_ register: Stylefarm_V1_Register, id: String, routingID: Data, now: Date) {
        var ack = Stylefarm_V1_RegisterAck()
        ack.protocolVersion = ProtocolVersion.major
        ack.heartbeatIntervalMs = UInt32(clamping: Int(configuration.intervalSeconds * 1000))
        ack.heartbeatLiveness = UInt32(configuration.heartbeatLiveness)
        ack.coordinatorID = configuration.coordinatorID
        func reject(_ reason: String) {
            ack.accepted = false
            ack.reason = reason
            stats.drop("registerRejected")
            log("rejected registration of \(id.debugDescription): \(reason)")
            workers.send(Stylefarm_V1_CoordinatorMessage(.registerAck(ack)), to: routingID)
        }
        guard register.protocolVersion == ProtocolVersion.major else {
            return reject("protocol version \(register.protocolVersion) is not supported (coordinator speaks \(ProtocolVersion.major))")
        }
        guard register.workerID == id else {
            return reject("worker id \(register.workerID.debugDescription) differs from the routing id \(id.debugDescription)")
        }
        // A peer's numbers and names, bounded before use: slots are how many tasks it may claim at once.
        guard (1...UInt32(clamping: configuration.maxSlotsPerWorker)).contains(register.slots) else {
            return reject("slots \(register.slots) must be 1…\(configuration.maxSlotsPerWorker) (the coordinator's --max-slots-per-worker)")
        }
        guard register.hostname.utf8.count <= Self.maxWorkerTextBytes, register.engineVersion.utf8.count <= Self.maxWorkerTextBytes else {
            return reject("hostname and engine version must be at most \(Self.maxWorkerTextBytes) bytes")
        }
        let registration = liveness.register(id, slots: Int(register.slots), now: now)
        fetches = fetches.filter { $0.value.workerID != id }
        switch registration {
        case .new:
            break
        case .returnedFromDead, .restarted:
            // Whatever the store still thinks it holds is lost (attempts not counted).
            forgetAssignments(of: id)
            if let requeued = try? store.requeueTasks(ofWorker: id, now: now) { stats.requeued += requeued.count }
        }
        do {
            try store.upsertWorker(WorkerRecord(id: id, hostname: register.hostname, cores: Int(register.cores),
                                                memoryBytes: Int64(clamping: register.memoryBytes),
                                                engineVersion: register.engineVersion, slots: Int(register.slots),
                                                lastSeen: now))
        } catch {
            log("could not record worker \(id): \(error)")
        }
        knownWorkers.insert(id)
        sessions[id] = WorkerSession(routingID: routingID, lastSent: now, lastReceived: now,
                                     memoryBytes: Int(clamping: register.memoryBytes), slots: max(1, Int(register.slots)))
        ack.accepted = true
        send(toWorker: id, .registerAck(ack))
    }

    func declareDead(_ id: String, reason: String) {
        let now = clock.now()
        forgetAssignments(of: id)
        if let requeued = try? store.requeueTasks(ofWorker: id, now: now) {
            stats.requeued += requeued.count
            if !requeued.isEmpty { log("worker \(id) \(reason); requeued \(requeued.count) task(s)") }
        }
        // It holds nothing now; it gets no work until its next Ready.
        liveness.releaseAll(of: id)
        fetches = fetches.filter { $0.value.workerID != id }
    }

    func forgetAssignments(of workerID: String) {
        assigned = assigned.filter { $0.value.sent.workerID != workerID }
        inputHashes.dropParked(ofWorker: workerID)
        blobGrants.endAll(of: workerID)
    }

    func checkLiveness() {
        let now = clock.now()
        for dead in liveness.tick(now: now) {
            fetches = fetches.filter { $0.value.workerID != dead.id }
            do {
                forgetAssignments(of: dead.id)
                let requeued = try store.requeueTasks(ofWorker: dead.id, now: now)
                stats.requeued += requeued.count
                log("worker \(dead.id) is silent; requeued \(requeued.count) task(s)")
            } catch {
                log("could not requeue the tasks of \(dead.id): \(error)")
            }
        }
    }

    func sendHeartbeats() {
        let now = clock.now()
        for id in liveness.aliveWorkers {
            guard let session = sessions[id], now.timeIntervalSince(session.lastSent) >= configuration.intervalSeconds else { continue }
            var beat = Stylefarm_V1_Heartbeat()
            beat.sequence = session.heartbeatSequence + 1
            beat.sentUnixMs = Int64(now.timeIntervalSince1970 * 1000)
            sessions[id]?.heartbeatSequence += 1
            send(toWorker: id, .heartbeat(beat))
        }
    }

    // MARK: Dispatch

    func dispatch() {
        let now = clock.now()
        for id in liveness.aliveWorkers {
            guard sessions[id] != nil else { continue }
            let wanted = liveness.credits(for: id)
            guard wanted > 0 else { continue }
            let claims: [TaskClaim]
            do { claims = try store.claimTasks(for: id, max: wanted, now: now) } catch {
                log("claiming tasks for \(id) failed: \(error)"); continue
            }
            for claim in claims {
                _ = liveness.reserve([claim.task.id], for: id)
                assign(claim, to: id)
            }
        }
    }

    /// Builds `claim`'s assignment and sends it to worker `id` (which holds its credit); parks it while an
    /// input file it names is hashed off the loop (`assignHashedInputs` builds it again).
    func assign(_ claim: TaskClaim, to id: String) {
        do {
            let assignment = try makeAssignment(claim)
            if let bytes = try? assignment.serializedData() {
                blobGrants.grant(BlobGrants.hashes(inSerialized: bytes), task: claim.task.id, to: id)
            }
            send(toWorker: id, .task(assignment))
            stats.dispatched += 1
            assigned[claim.task.id] = (ReportCheck.Sent(jobID: claim.task.jobID, frameIndex: claim.task.frameIndex,
                                                        attempt: claim.attempt, workerID: id),
                                       DispatchTime.now().uptimeNanoseconds)
        } catch let missing as InputNotHashed {
            if inputHashes.park(claim, for: id, waitingOn: missing.path) { hashInput(missing.path) }
        } catch {
            failUnassignable(claim, of: id, error: "\(error)")
        }
    }

    /// The worker never sees this task: its credit goes back, or it would wait for work forever.
    func failUnassignable(_ claim: TaskClaim, of id: String, error: String) {
        liveness.unreserve(claim.task.id, for: id)
        log("cannot assign \(claim.task.id): \(error)")
        pendingChanges.append(.failed(taskID: claim.task.id, attempt: claim.attempt, error: "coordinator: \(error)", retryable: false))
    }

    /// Reads and hashes the input file `path` on the input-hashing thread.
    func hashInput(_ path: String) {
        inputHashing.start {
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                return HashedInput(path: path, entry: .init(sha: BlobName.of(data), size: data.count))
            } catch {
                return HashedInput(path: path, error: "cannot read \(path): \(error.localizedDescription)")
            }
        }
    }

    /// Builds again the claims that waited for input files hashed since the last iteration (loop thread); a
    /// claim whose task moved on meanwhile (cancelled, requeued, its worker gone) gives its credit back unsent.
    func assignHashedInputs() {
        for hashed in inputHashing.finished() {
            for parked in inputHashes.hashed(hashed.path, entry: hashed.entry) {
                let task = try? store.task(parked.claim.task.id)
                guard liveness.isAlive(parked.workerID), let task, task.state == .assigned,
                      task.currentAttempt == parked.claim.attempt, task.assignedWorker == parked.workerID else {
                    liveness.unreserve(parked.claim.task.id, for: parked.workerID)
                    continue
                }
                if let error = hashed.error {
                    failUnassignable(parked.claim, of: parked.workerID, error: error)
                } else {
                    assign(parked.claim, to: parked.workerID)
                }
            }
        }
    }

    /// Where a task's result lives on the coordinator when it is not a frame's output (flows,
    /// intermediate sweeps and chunk renders): `<state>/intermediate/<sha256>`.
    func intermediatePath(_ sha: String) -> String {
        configuration.stateDirectory.appendingPathComponent("intermediate", isDirectory: true)
            .appendingPathComponent(sha).path
    }

    func jobContext(_ jobID: String) throws -> JobContext {
        if let cached = jobContexts[jobID] { return cached }
        guard let record = try store.job(jobID) else { throw PersistenceError.jobNotFound(jobID) }
        let context = try JobContext(restoring: record, styleTargets: styleTargets)
        install(context, jobID: jobID)
        return context
    }

    /// Caches a job's context and serves its style-target blobs.
    func install(_ context: JobContext, jobID: String) {
        for sha in context.styleTargetBlobs + context.regionTargetBlobs.flatMap({ $0 }) { blobs[sha] = styleTargets.path(of: sha) }
        jobContexts[jobID] = context
    }

    /// The blob ref of an input file, remembered in the blob table. Throws `InputNotHashed` until the file has
    /// been hashed off the loop (`assign` parks the claim and starts that).
    func blobRef(forFile path: String, mediaType: String) throws -> Stylefarm_V1_BlobRef {
        guard let entry = inputHashes.entry(for: path) else { throw InputNotHashed(path: path) }
        blobs[entry.sha] = path
        var ref = Stylefarm_V1_BlobRef()
        ref.sha256 = entry.sha
        ref.size = UInt64(entry.size)
        ref.mediaType = mediaType
        return ref
    }

    func makeAssignment(_ claim: TaskClaim) throws -> Stylefarm_V1_TaskAssignment {
        let task = claim.task
        let job = try jobContext(task.jobID)
        var a = Stylefarm_V1_TaskAssignment()
        a.taskID = task.id
        a.jobID = task.jobID
        a.attempt = UInt32(claim.attempt)
        a.frameIndex = UInt32(task.frameIndex)
        var rect = Stylefarm_V1_Rect()
        rect.x = UInt32(task.region.x); rect.y = UInt32(task.region.y)
        rect.width = UInt32(task.region.width); rect.height = UInt32(task.region.height)
        a.region = rect
        a.frameWidth = UInt32(job.frameSize.width)
        a.frameHeight = UInt32(job.frameSize.height)
        if job.resolved.kind == .stylize { a.parameters = job.wireParameters }  // diagnostic tasks need none
        let frames = job.resolved.frames.frames
        let contentPath = task.frameIndex < frames.count ? job.resolved.content?.path(for: frames[task.frameIndex]) : nil
        let planned = job.plan.task(task.id)
        if let planned {
            switch planned.role {
            case .flow(let second): return try makeFlowAssignment(a, job: job, first: contentPath, second: second)
            case .blend: return try makeBlendAssignment(a, planned: planned, job: job)
            case .styleGrams(let part): return try makeStyleGramsAssignment(a, part: job.plan.styleGramParts[part], job: job)
            case .frameGrams(let scale, let round, let core, let cores):
                return try makeFrameGramsAssignment(a, frameIndex: task.frameIndex, scale: scale, round: round, core: core,
                                                    cores: cores, job: job)
            case .stylize: break
            }
        }
        switch job.resolved.kind {
        case .stylize:
            a.kind = .stylize
            if let planned { try addTemporalInputs(&a, planned: planned, job: job) }
            // Targets the workers computed: a whole frame takes every scale's; a tile only its own (addTileInputs).
            a.styleTargetHashes = job.plan.styleGramParts.isEmpty || planned?.tile != nil ? job.styleTargetBlobs
                : try (0..<job.resolved.parameters.scales).map { try combinedStyleTargets(job: job, jobID: task.jobID, scale: $0) }
            if let regions = job.resolved.regions, let wire = job.wireRegions {
                a.regions = wire
                a.regionStyleTargets = job.regionTargetBlobs.map { hashes in Stylefarm_V1_StyleTargetSet.with { $0.hashes = hashes } }
                if task.frameIndex < frames.count, let maskPath = regions.maskPath(for: frames[task.frameIndex]) {
                    a.regionMask = try blobRef(forFile: maskPath, mediaType: "image/png")
                    if job.resolved.sharedFilesystem { a.regionMaskPath = maskPath }
                }
            }
            if let tile = planned?.tile { try addTileInputs(&a, tile: tile, frameIndex: task.frameIndex, job: job) }
        case .echo:
            // Echo jobs with content frames echo them back; without content they only sleep.
            a.kind = contentPath == nil ? .sleep : .echo
            a.diagnosticDurationMs = UInt32(clamping: Int(job.resolved.echoSeconds * 1000))
        }
        // In shared-filesystem mode workers read and write the paths themselves; the content ref still
        // names the frame by hash (and the blob table can serve it as a fallback).
        if let contentPath {
            a.content = try blobRef(forFile: contentPath, mediaType: "image/png")
            if job.resolved.sharedFilesystem {
                a.contentPath = contentPath
                if task.frameIndex < frames.count, planned?.producesOutput ?? true,
                   let output = job.resolved.output?.path(for: frames[task.frameIndex]) {
                    a.outputPath = output
                }
            }
        }
        a.styles = try job.resolved.styles.map { try blobRef(forFile: $0, mediaType: "image/png") }
        return a
    }
}

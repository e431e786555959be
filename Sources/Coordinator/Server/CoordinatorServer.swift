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
        /// Seconds a task may run when its job sets no `task_timeout` (`--task-timeout`; nil: no limit).
        public var defaultTaskTimeout: TimeInterval?
        /// Jobs at this priority or above may call back running tasks of lower jobs when no slot is free
        /// (`--preempt-above`; nil: never).
        public var preemptAbove: Int?
        /// Seconds between garbage collections (`--gc-interval`; nil: only on `stylefarm gc`).
        public var garbageCollectionInterval: TimeInterval? = 3600
        /// Jobs (that other workers render) a worker may be blocklisted on within a day before it is marked
        /// unhealthy farm-wide and gets no tasks (`--unhealthy-after`; 0: never).
        public var unhealthyAfter = 3

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

    /// An output blob being pulled from a worker for one task. Two tasks can have byte-identical outputs (a
    /// black leader, held frames): each has its own pull, served one after the other by the worker, and a
    /// chunk goes to the oldest open pull of its worker and hash (`receiveOutputChunk`).
    struct OutputFetch {
        /// When the pull was requested (orders pulls of the same worker and hash).
        var sequence: UInt64
        var sha: String
        var taskID: String
        var jobID: String
        var attempt: Int
        var workerID: String
        var outputPath: String
        var assembly: BlobAssembly
    }

    struct Watcher {
        var ticket: ClientTicket
        /// Empty: every job `identity` may see (a farm-wide watch).
        var jobID: String
        var identity = ClientIdentity.unauthenticated
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
    /// Whether workers are told they may send their credit on their Result/Failure instead of a Ready after it
    /// (`RegisterAck.credit_in_reports`): one message per finished task instead of two. Off only to measure it
    /// (`bench dispatch --ready-after-reports`); set before workers register.
    public var acceptsCreditInReports = true
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
    /// When each held task runs out of time (`checkTimeouts`).
    var deadlines = TaskDeadlines()
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
    /// Output pulls in progress, by task id.
    var fetches: [String: OutputFetch] = [:]
    var fetchSequence: UInt64 = 0
    var watchers: [Watcher] = []
    /// Latest progress of running tasks (task id → progress), for watchers.
    var taskProgress: [String: Stylefarm_V1_Progress] = [:]
    /// Jobs whose running tasks reported progress since the last progress event.
    var progressedJobs: Set<String> = []
    var lastProgressEvent = Date.distantPast
    let styleTargets: StyleTargetsStore
    var pendingChanges: [StateChange] = []
    /// When the store could not write: not before this time again (`flushChanges`), and when that was last logged.
    var storeRetryAt: Date?
    var storeTroubleLogged = Date.distantPast
    var frameEvents: [(jobID: String, frameIndex: Int)] = []
    /// Each worker's peak memory on the last task it reported (`stylefarm workers`, the dashboard).
    var workerPeakRSS: [String: UInt64] = [:]
    /// Warp-error measurements in flight per job (`measureWarpErrors`): its intermediates stay until they are back.
    var warpMeasurements: [String: Int] = [:]
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
    /// Uploaded content (`submit --upload`): chunks written and hashed, checkouts laid out off the loop.
    let uploadStore: UploadStore
    let uploads: OffLoopQueue<FinishedUpload>
    /// Job deletions and garbage collections (`CoordinatorServer+Maintenance.swift`).
    let maintenance: OffLoopQueue<MaintenanceOutcome>
    /// Client requests from this process (the HTTP API), handled like the client socket's.
    public let localClients: LocalClients
    /// Prometheus metrics (`/metrics` of the HTTP API).
    public let metrics = FarmMetrics()
    /// Jobs and frames as clients read them, from any thread (`JobStatus`, `ListJobs`; the HTTP API's job pages).
    public let readModel: JobReadModel
    /// When the workers' gauges were last set.
    var workersGaugedAt = Date.distantPast
    /// When the next periodic garbage collection starts.
    var nextCollection: Date
    /// Not before this time does another round of preemption start.
    var nextPreemption = Date.distantPast
    /// Whether a claim may find a task (`dispatch`): false after a round in which a worker got fewer tasks than
    /// it asked for, true again when something that can make a task claimable or give credit happens (a batch
    /// of state changes, a submission, a wrangler's change, a worker's report or Ready) — so idle workers cost no
    /// write transaction per iteration, and a long write elsewhere (a job's deletion) does not stall the loop.
    var claimsMayFind = true
    /// When idle workers' claims are tried anyway (``idleClaimInterval`` after the last round): a safety net.
    var nextIdleClaim = Date.distantPast
    static let idleClaimInterval: TimeInterval = 1

    /// What running attempts logged so far (`stylefarm logs --follow`).
    var liveLogs = LiveTaskLogs()
    /// Workers marked unhealthy (id → why): they claim no tasks (`CoordinatorServer+WorkerHealth`).
    var unhealthyWorkers: [String: String] = [:]
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
        readModel = JobReadModel(store: store)
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
                                     maxInboundFrameBytes: configuration.maxClientFrameBytes, receiveHighWaterMark: 100)
        if let zap { poller.register(zap) }
        poller.register(workers.socket)
        poller.register(clients.socket)
        submissions = try OffLoopQueue(label: "stylefarm.coordinator.submission")
        blobReads = try OffLoopQueue(label: "stylefarm.coordinator.blob-reads")
        outputWrites = try OffLoopQueue(label: "stylefarm.coordinator.output-writes")
        inputHashing = try OffLoopQueue(label: "stylefarm.coordinator.input-hashing")
        uploadStore = try UploadStore(stateDirectory: configuration.stateDirectory)
        uploads = try OffLoopQueue(label: "stylefarm.coordinator.uploads")
        maintenance = try OffLoopQueue(label: "stylefarm.coordinator.maintenance")
        localClients = try LocalClients()
        // The first collection an interval after start: a restart does not walk the folders at once.
        nextCollection = clock.now().addingTimeInterval(configuration.garbageCollectionInterval ?? .infinity)
        reassembly = try ReassemblyThread(intermediateDirectory: Self.intermediateDirectory(in: configuration.stateDirectory))
        poller.register(fileDescriptor: submissions.wake.fileDescriptor)
        poller.register(fileDescriptor: blobReads.wake.fileDescriptor)
        poller.register(fileDescriptor: outputWrites.wake.fileDescriptor)
        poller.register(fileDescriptor: inputHashing.wake.fileDescriptor)
        poller.register(fileDescriptor: uploads.wake.fileDescriptor)
        poller.register(fileDescriptor: maintenance.wake.fileDescriptor)
        poller.register(fileDescriptor: localClients.wake.fileDescriptor)
        poller.register(fileDescriptor: reassembly.queue.wake.fileDescriptor)
        liveness = WorkerLiveness(configuration: .init(heartbeatInterval: configuration.intervalSeconds,
                                                       missedIntervals: configuration.heartbeatLiveness))
        stats.requeued = report.requeuedTasks
        store.unhealthyAfter = configuration.unhealthyAfter
        unhealthyWorkers = try store.unhealthyWorkers()
        let counted = store
        metrics.readCounts = { try counted.counts() }
        sweepTemporaryFiles()
    }

    /// Removes what interrupted atomic writes left: in the state folder's own folders at once, in unfinished
    /// jobs' output folders when old enough (`TemporaryFileSweep`).
    func sweepTemporaryFiles() {
        var removed = TemporaryFileSweep.sweep([intermediateDirectory.path, styleTargets.directory.path], minimumAge: 0, now: clock.now())
        if let folders = try? store.outputFoldersOfUnfinishedJobs() {
            removed += TemporaryFileSweep.sweep(folders, minimumAge: TemporaryFileSweep.outputFolderMinimumAge, now: clock.now())
        }
        if !removed.isEmpty {
            FileHandle.standardError.write(Data("coordinator: removed \(removed.count) temporary file(s) left by an interrupted write, e.g. \(removed[0])\n".utf8))
        }
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
        uploads.waitUntilIdle()
        maintenance.waitUntilIdle()
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
        let start = ContinuousClock.now
        defer { metrics.loopSeconds.record(ContinuousClock.now - start) }

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
                handleClient(ClientCall(routed), as: ClientIdentity(userID: peer))
            }
        }
        for incoming in localClients.take() {
            switch incoming {
            case .call(let id, let request, let identity): handleClient(ClientCall(local: id, message: request), as: identity)
            case .stop(let id): removeWatchers(of: .local(id))
            }
        }
        answerSubmissions()
        answerUploads()
        answerMaintenance()
        sendBlobReads()
        recordWrittenOutputs()
        recordLandedTiles()
        flushChanges()
        checkLiveness()
        checkTimeouts()
        assignHashedInputs()
        dispatch()
        preemptIfUrgent()
        flushChanges()
        sendHeartbeats()
        pushWatchEvents()
        gaugeWorkers()
    }

    /// Sets the metrics' worker gauges, once a second.
    func gaugeWorkers() {
        let now = clock.now()
        guard now.timeIntervalSince(workersGaugedAt) >= 1 else { return }
        workersGaugedAt = now
        let alive = liveness.aliveWorkers
        let busy = Set(assigned.values.map(\.sent.workerID)).count
        metrics.setWorkers(alive: alive.count, busy: busy, dead: max(0, knownWorkers.count - alive.count), unhealthy: unhealthyWorkers.count)
    }

    func timeUntilNextDeadline() -> Duration {
        let now = clock.now()
        let interval = configuration.intervalSeconds
        var next = interval
        for (id, session) in sessions where liveness.isAlive(id) {
            next = min(next, session.lastSent.addingTimeInterval(interval).timeIntervalSince(now))
            next = min(next, session.lastReceived.addingTimeInterval(liveness.configuration.deadline).timeIntervalSince(now))
        }
        if let earliest = deadlines.earliest { next = min(next, earliest.timeIntervalSince(now)) }
        return .milliseconds(max(0, Int((next * 1000).rounded(.up))))
    }

    // MARK: Store batching

    /// Writes the iteration's state changes in one batch. When the store cannot write (a full disk, an I/O
    /// error) nothing is lost: the changes wait in order and are tried again a second later (the loop keeps
    /// answering meanwhile, and says so in the log once a minute). A batch the store refuses because of one
    /// change (its task or job gone) is applied change by change, and only the refused ones are dropped, each logged.
    func flushChanges() {
        guard !pendingChanges.isEmpty else { return }
        let now = clock.now()
        if let retryAt = storeRetryAt, now < retryAt { return }
        let changes = pendingChanges
        pendingChanges = []
        claimsMayFind = true
        do {
            let start = ContinuousClock.now
            let outcomes = try store.apply(changes, now: now)
            metrics.storeWriteSeconds.record(ContinuousClock.now - start)
            record(changes, outcomes)
            storeRetryAt = nil
        } catch let error as PersistenceError where error.isRefusal {
            var waiting: [StateChange] = []
            for (n, change) in changes.enumerated() {
                do {
                    record([change], try store.apply([change], now: now))
                } catch let error as PersistenceError where error.isRefusal {
                    stats.drop("refusedChange")
                    log("dropped a state change the store refuses (\(error)): \(change)")
                } catch {
                    waiting = Array(changes[n...])
                    storeCannotWrite(error, waiting: waiting.count)
                    break
                }
            }
            pendingChanges = waiting + pendingChanges
        } catch {
            pendingChanges = changes + pendingChanges
            storeCannotWrite(error, waiting: pendingChanges.count)
        }
    }

    /// The store cannot write now: try again in a second; log it at most once a minute.
    func storeCannotWrite(_ error: any Error, waiting: Int) {
        let now = clock.now()
        storeRetryAt = now.addingTimeInterval(1)
        stats.drop("storeUnwritable")
        if now.timeIntervalSince(storeTroubleLogged) >= 60 {
            storeTroubleLogged = now
            log("the job store cannot write (\(error)); \(waiting) state change(s) wait and are tried again every second (is the state folder's disk full?)")
        }
    }

    private func record(_ changes: [StateChange], _ outcomes: [StateChangeOutcome]) {
        var completed: [String] = []
        for (change, outcome) in zip(changes, outcomes) {
            metrics.count(change, outcome)
            switch outcome {
            case .task(.completed):
                stats.completed += 1
                if let taskID = change.taskID { completed.append(taskID) }
                noteFrameEvent(change)
            case .task(.failed):
                noteFrameEvent(change)
            case .ignored:
                stats.staleReports += 1
            default: break
            }
        }
        measureWarpErrors(after: completed)
        if outcomes.contains(where: { $0 == .task(.completed) || $0 == .task(.failed) }) { releaseFinishedIntermediates() }
        if changes.contains(where: \.countsAgainstWorker) { refreshWorkerHealth() }
    }

    func noteFrameEvent(_ change: StateChange) {
        switch change {
        case .completed, .failed, .lost, .timedOut: if let taskID = change.taskID { noteFrameEvent(ofTask: taskID) }
        default: return
        }
    }

    /// Watchers get an event for the frame of `taskID` (it finished, or failed).
    func noteFrameEvent(ofTask taskID: String) {
        guard !watchers.isEmpty else { return }
        if let task = try? store.task(taskID) { frameEvents.append((task.jobID, task.frameIndex)) }
    }
}

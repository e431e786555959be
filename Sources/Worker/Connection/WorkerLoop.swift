import Engine
import Foundation
import Protocol

/// Counters of a running `WorkerLoop`, readable from any thread.
public struct WorkerLoopStatistics: Sendable, Equatable {
    /// Messages from the coordinator that failed `Framing.decode` (or unsolicited blob chunks), dropped.
    public var droppedMessages = 0
    /// Accepted registrations (1 + reconnections).
    public var registrations = 0
    /// Back-off delays taken so far, in order.
    public var backoffs: [Duration] = []
    /// Most tasks that were executing at the same time.
    public var maxConcurrentTasks = 0
    /// Tasks executing now.
    public var executingTasks = 0
    /// Results/Failures waiting for a registered coordinator.
    public var bufferedReports = 0
    /// Sends that failed (no socket, full queue…).
    public var failedSends = 0
    /// Heartbeats sent.
    public var heartbeatsSent: UInt64 = 0
    /// The state machine's state, for logs.
    public var state = "stopped"
}

/// The worker process's connection loop: one DEALER socket, one thread.
///
/// Threading: `run(until:)` / `runOnce(timeout:)` must always be called from the same thread, the
/// **loop thread**; it is the only one that creates, uses and closes the socket (ZeroMQ sockets are not
/// thread-safe). Each accepted task runs on its own executor thread (at most `slots` at once); executor
/// threads never touch the socket: they post progress, finished reports and blob needs to a locked
/// inbox that the loop drains between polls (every ≤ 10 ms), and block on a condition while an input
/// blob is being fetched. The engine's own parallelism inside a task is `EngineThreads`' business.
///
/// Reconnection: when the coordinator is silent for liveness × interval, the socket is closed and after
/// the back-off a NEW socket is opened (same routing id) and Register sent again. Running tasks keep
/// running; their Results/Failures are buffered by the `Reporter` and sent right after the next
/// accepted RegisterAck (the coordinator ignores results of attempts it superseded). A Cancel for a task
/// whose report is still buffered drops that report. Outputs are pinned in the cache from the Result
/// until the coordinator has fetched them once with BlobRequest.
public final class WorkerLoop: @unchecked Sendable {
    public let configuration: WorkerConfiguration
    public let cache: BlobCache
    public let executor: TaskExecutor

    private let clock: WorkerClock
    private let context: ZMQContext
    private let framing = Framing()
    private let inbox: WorkerInbox
    private let waiters: BlobWaiters

    // Loop-thread state.
    private var machine: WorkerStateMachine
    private var started = false
    private var socket: Socket?
    /// Whether a socket was opened and the coordinator has not accepted this worker since (a reconnect then
    /// says why it may be silent).
    private var unansweredOpen = false
    private var noAnswerLogged = false
    private var reporter = Reporter()
    /// The coordinator reads credit on Result and Failure (`RegisterAck.credit_in_reports`).
    private var creditInReports = false
    private var tasks: [String: (jobID: String, attempt: UInt32, cancellation: TaskCancellation, log: TaskLog)] = [:]
    /// When running tasks' new log lines go out next (`LogLines`, at most once a second).
    private var nextLiveLogs: WorkerInstant?
    private var requestedBlobs: Set<String> = []        // needed by executors, not yet arrived
    private var sentBlobRequests: Set<String> = []      // requested on the current socket
    private var incomingBlobs: [String: BlobAssembly] = [:]  // partial assembly
    private var outputPins: [String: Int] = [:]         // output hash → pins held until fetched

    /// Prometheus metrics of this worker (`stylefarm worker --metrics`).
    public let metrics: WorkerMetrics

    // Shared with executor threads / readers.
    private let statsLock = NSLock()
    private var stats = WorkerLoopStatistics()

    /// - Parameters:
    ///   - host: the engine (VGG) shared by all tasks; `cache`: input and output blobs.
    ///   - clock: time and sleep (fake in tests).
    ///   - segmentationModel: finds installed segmentation models for region tasks (nil: none installed).
    public init(configuration: WorkerConfiguration, host: VGGCache, cache: BlobCache,
                clock: WorkerClock = SystemWorkerClock(), context: ZMQContext? = nil,
                segmentationModel: SegmentationModelLocator? = nil) throws {
        self.configuration = configuration
        self.cache = cache
        self.clock = clock
        self.context = try context ?? ZMQContext()
        self.machine = WorkerStateMachine(configuration: configuration)
        let inbox = WorkerInbox(wake: try WakeSignal()), waiters = BlobWaiters()
        self.inbox = inbox
        self.waiters = waiters
        let metrics = WorkerMetrics()
        self.metrics = metrics
        let source = FetchingBlobSource(cache: cache, inbox: inbox, waiters: waiters, timeout: configuration.blobTimeout, metrics: metrics)
        let workerID = configuration.workerID
        self.executor = TaskExecutor(host: host, cache: cache, source: source, segmentationModel: segmentationModel,
                                     pathPolicy: configuration.pathPolicy) {
            FileHandle.standardError.write(Data("stylefarm worker \(workerID): \($0)\n".utf8))
        }
    }

    /// How long the reports and Disconnect sent on a graceful stop may take to leave.
    static let goodbyeLingerMilliseconds: Int32 = 2_000

    public var statistics: WorkerLoopStatistics { statsLock.withLock { stats } }

    private func updateStats(_ body: (inout WorkerLoopStatistics) -> Void) { statsLock.withLock { body(&stats) } }

    // MARK: Running

    /// Runs until `stop()` returns true (checked every ≤ 10 ms), then stops gracefully: Disconnect,
    /// running tasks cancelled and awaited (up to `gracePeriod`), socket closed.
    /// Once `drain()` returns true the worker takes nothing new and returns when what it ran has finished and
    /// its reports went out (`stop()` still ends it at once, cancelling what runs).
    public func run(until stop: () -> Bool, drain: () -> Bool = { false }, gracePeriod: Duration = .seconds(5)) {
        while !stop() {
            if !machine.draining, drain() {
                log("draining: taking no new task, finishing \(machine.running) running")
                perform(machine.drain(at: clock.now))
            }
            if machine.isDrained && reporter.pending.isEmpty && machine.isRegistered {
                log("drained: every task finished and reported")
                break
            }
            runOnce(timeout: .milliseconds(10))
        }
        shutdown(gracePeriod: gracePeriod)
    }

    /// One turn of the loop: start if needed, handle executor events, timers, and whatever the
    /// coordinator sent within `timeout` (waits at most `timeout`).
    public func runOnce(timeout: Duration) {
        let begin = clock.now
        if !started {
            started = true
            perform(machine.start(at: clock.now))
        }
        handleInbox()
        perform(machine.tick(at: clock.now))

        var wait = timeout
        if let deadline = machine.nextDeadline() { wait = max(.zero, min(wait, clock.now.duration(to: deadline))) }
        if let socket {
            do {
                // Wait for the coordinator or for an executor thread's event (results go out at once).
                let poller = Poller()
                poller.register(socket)
                if let wake = inbox.wake { poller.register(fileDescriptor: wake.fileDescriptor) }
                _ = try poller.poll(timeout: wait)
                inbox.wake?.drain()
                while let socket = self.socket, let frames = try socket.receiveMultipart(timeout: .zero) {
                    handle(frames: frames)
                }
            } catch {
                log("receive failed: \(error)")
            }
        } else {
            let elapsed = begin.duration(to: clock.now)
            clock.sleep(for: min(wait, max(.zero, timeout - elapsed)))
        }
        handleInbox()
        perform(machine.tick(at: clock.now))
        sendLiveLogs()
        publishStats()
    }

    /// Sends each running task's log lines added since the last time (`stylefarm logs --follow`), once a second.
    private func sendLiveLogs() {
        let now = clock.now
        if let next = nextLiveLogs, now < next { return }
        nextLiveLogs = now.advanced(by: .seconds(1))
        guard machine.isRegistered else { return }
        for (taskID, task) in tasks.sorted(by: { $0.key < $1.key }) {
            guard let new = task.log.takeUnsent() else { continue }
            var lines = Stylefarm_V1_LogLines()
            lines.taskID = taskID
            lines.attempt = task.attempt
            lines.text = new.text
            lines.linesLeftOut = UInt32(clamping: new.linesLeftOut)
            send(Stylefarm_V1_WorkerMessage(.logLines(lines)))
        }
    }

    /// Graceful stop (also called by `run`): Disconnect when registered, cancel running tasks, wait for
    /// their threads up to `gracePeriod`, close the socket.
    public func shutdown(gracePeriod: Duration = .seconds(5)) {
        handleInbox()
        perform(machine.flushIfRegistered())
        // The last reports and the Disconnect get `goodbyeLinger` to leave (the socket's LINGER is 0 otherwise, and
        // closing it would drop them); the context's termination waits for them that long at most.
        try? socket?.setLinger(milliseconds: Self.goodbyeLingerMilliseconds)
        perform(machine.stop(at: clock.now))
        for (_, task) in tasks { task.cancellation.cancel() }
        let deadline = ContinuousClock.now + gracePeriod
        while !tasks.isEmpty && ContinuousClock.now < deadline {
            handleInbox()
            Thread.sleep(forTimeInterval: 0.005)
        }
        socket?.close()
        socket = nil
        publishStats()
    }

    // MARK: Actions

    private func perform(_ actions: [WorkerStateMachine.Action]) {
        // A flush followed by a Ready: the credit rides on the last report when the coordinator takes it there
        // (one message per finished task instead of two), and the Ready is not sent.
        var creditSent = false
        for (index, action) in actions.enumerated() {
            switch action {
            case .openSocket: openSocket()
            case .closeSocket: closeSocket()
            case .send(let message):
                if creditSent, case .ready? = message.payload { creditSent = false; continue }
                send(message)
            case .startTask(let task): start(task)
            case .cancel(let taskID, let jobID): cancel(taskID: taskID, jobID: jobID)
            case .flushReports:
                var credit: UInt32?
                if creditInReports, index + 1 < actions.count, case .send(let next) = actions[index + 1],
                   case .ready(let ready)? = next.payload { credit = ready.freeSlots }
                creditSent = flushReports(credit: credit)
            }
        }
    }

    private func openSocket() {
        if unansweredOpen { logNoAnswer() }
        closeSocket()
        unansweredOpen = true
        do {
            let s = try context.makeSocket(.dealer)
            try s.setRoutingID(Data(configuration.workerID.utf8))
            try s.setLinger(milliseconds: 0)
            try s.setMaxMessageSize(Int64(framing.maxMessageBytes))
            if let credential = configuration.credential {
                try s.makeCurveClient(serverKey: credential.coordinatorKey, keys: credential.keys)
            }
            try s.connect(configuration.endpoint)
            socket = s
        } catch {
            log("cannot connect to \(configuration.endpoint): \(error)")
        }
    }

    /// The coordinator never answered on this socket: it is down, or — with CurveZMQ — it refused this worker's
    /// key (revoked, another farm's, a client's) or runs without CurveZMQ. Said once, until the next success.
    private func logNoAnswer() {
        guard !noAnswerLogged else { return }
        noAnswerLogged = true
        if let credential = configuration.credential {
            log("no answer from the coordinator at \(configuration.endpoint): is it running, and is this worker's key (\(credential.name), \(credential.keys.publicKey)) authorized there as a worker (`stylefarm keys list` on the coordinator; the coordinator logs refused keys)? Retrying.")
        } else {
            log("no answer from the coordinator at \(configuration.endpoint): is it running, and with --insecure? Without it the coordinator only answers workers with a credential (--credential). Retrying.")
        }
    }

    private func closeSocket() {
        socket?.close()
        socket = nil
        sentBlobRequests.removeAll()
        incomingBlobs.removeAll()
    }

    private func send(_ message: Stylefarm_V1_WorkerMessage, attachments: [Data] = []) {
        do {
            guard let socket else { throw NoSocket() }
            try socket.send(multipart: try framing.encode(message, attachments: attachments), dontWait: true)
            machine.sent(at: clock.now)
        } catch {
            updateStats { $0.failedSends += 1 }
            log("send failed: \(error)")
        }
    }

    private func start(_ task: Stylefarm_V1_TaskAssignment) {
        let cancellation = TaskCancellation()
        // The attempt's log travels with its report (TaskLog); its lines also go out live (`sendLiveLogs`).
        let taskLog = TaskLog()
        tasks[task.taskID] = (task.jobID, task.attempt, cancellation, taskLog)
        let executor = self.executor, inbox = self.inbox, workerID = configuration.workerID, metrics = self.metrics
        let thread = Thread { [weak self] in
            self?.updateStats {
                $0.executingTasks += 1
                $0.maxConcurrentTasks = max($0.maxConcurrentTasks, $0.executingTasks)
            }
            metrics.executing.increment()
            let report: Stylefarm_V1_WorkerMessage
            var outputHash: String?
            taskLog.begin(task, workerID: workerID)
            var lastLogged: UInt32 = 0
            do {
                var result = try TaskLog.$current.withValue(taskLog) {
                    try executor.execute(task, cancellation: cancellation) { progress in
                        taskLog.progress(progress, lastLogged: &lastLogged)
                        inbox.post(.progress(progress))
                    }
                }
                if task.outputPath.isEmpty {  // blob mode: keep it until the coordinator fetched it
                    executor.cache.pin(result.output.sha256)
                    outputHash = result.output.sha256
                }
                taskLog.finished(result)
                result.log = taskLog.text
                report = Stylefarm_V1_WorkerMessage(.result(result))
            } catch {
                var failure = TaskExecutor.failure(for: error, task: task)
                taskLog.failed(failure)
                failure.log = taskLog.text
                report = Stylefarm_V1_WorkerMessage(.failure(failure))
            }
            self?.updateStats { $0.executingTasks -= 1 }
            metrics.executing.decrement()
            metrics.record(report)
            inbox.post(.finished(taskID: task.taskID, report: report, outputHash: outputHash))
        }
        thread.name = "stylefarm-task-\(task.taskID.prefix(40))"
        thread.stackSize = 16 << 20
        thread.start()
    }

    private func cancel(taskID: String, jobID: String) {
        for (id, task) in tasks where id == taskID || (!jobID.isEmpty && task.jobID == jobID) {
            task.cancellation.cancel()
        }
        if !taskID.isEmpty { reporter.drop(taskID: taskID) }
    }

    /// Sends the buffered reports, the last with `credit` when given; returns whether that credit went out
    /// (some report carried it).
    private func flushReports(credit: UInt32? = nil) -> Bool {
        guard machine.isRegistered, socket != nil else { return false }
        let waiting = reporter.pending.count
        let sent = reporter.flush(credit: credit) { message in
            let before = statistics.failedSends
            send(message)
            if statistics.failedSends != before { throw NoSocket() }
        }
        // Blobs executors still wait for (their request was lost with an old socket).
        let missing = requestedBlobs.subtracting(sentBlobRequests)
        if !missing.isEmpty { requestBlobs(missing.sorted()) }
        return credit != nil && waiting > 0 && sent == waiting
    }

    // MARK: Executor events

    private func handleInbox() {
        // Tasks that finished together are reported together: one flush of the buffered reports and
        // one Ready carrying the final credit, instead of a flush and a Ready per task.
        var finishedActions: [WorkerStateMachine.Action] = []
        defer { perform(Self.coalesced(finishedActions)) }
        for event in inbox.drain() {
            switch event {
            case .progress(let progress):
                if machine.isRegistered { send(Stylefarm_V1_WorkerMessage(.progress(progress))) }
            case .finished(let taskID, let report, let outputHash):
                tasks.removeValue(forKey: taskID)
                if let outputHash { outputPins[outputHash, default: 0] += 1 }
                reporter.submit(report)
                finishedActions += machine.taskFinished(at: clock.now)
            case .needBlob(let hash):
                if cache.contains(hash) {
                    waiters.resolve(hash, arrived: true)
                } else if !requestedBlobs.contains(hash) || !sentBlobRequests.contains(hash) {
                    requestedBlobs.insert(hash)
                    if machine.isRegistered { requestBlobs([hash]) }
                }
            }
        }
    }

    /// `actions` with repeated report flushes and credit announcements reduced to the last of each
    /// (the last Ready carries the current free slots).
    static func coalesced(_ actions: [WorkerStateMachine.Action]) -> [WorkerStateMachine.Action] {
        func isReady(_ action: WorkerStateMachine.Action) -> Bool {
            if case .send(let message) = action, case .ready? = message.payload { return true }
            return false
        }
        let lastReady = actions.lastIndex(where: isReady)
        let lastFlush = actions.lastIndex(of: .flushReports)
        return actions.enumerated().filter { index, action in
            if isReady(action) { return index == lastReady }
            if action == .flushReports { return index == lastFlush }
            return true
        }.map(\.element)
    }

    private func requestBlobs(_ hashes: [String]) {
        var request = Stylefarm_V1_BlobRequest()
        request.sha256 = hashes
        send(Stylefarm_V1_WorkerMessage(.blobRequest(request)))
        sentBlobRequests.formUnion(hashes)
    }

    // MARK: Coordinator messages

    private func handle(frames: [Data]) {
        let framed: Framed<Stylefarm_V1_CoordinatorMessage>
        do {
            framed = try framing.decode(Stylefarm_V1_CoordinatorMessage.self, from: frames)
        } catch {
            updateStats { $0.droppedMessages += 1 }
            log("dropped a message from the coordinator: \(error)")
            return
        }
        let message = framed.message
        if case .registerAck(let ack)? = message.payload { creditInReports = ack.accepted && ack.creditInReports }
        perform(machine.received(message, at: clock.now))
        if machine.isRegistered { unansweredOpen = false; noAnswerLogged = false }
        switch message.payload {
        case .blobRequest(let request)?: serve(request)
        case .blobData(let chunk)?: receive(chunk, attachments: framed.attachments)
        default: break
        }
    }

    private func serve(_ request: Stylefarm_V1_BlobRequest) {
        let chunkLimit = BlobChunks.limit(requested: request.maxChunkBytes, configured: configuration.blobChunkBytes)
        for hash in request.sha256 {
            guard let bytes = try? cache.get(hash) else {
                send(Stylefarm_V1_WorkerMessage(.blobData(BlobChunks.notFound(sha256: hash))))
                continue
            }
            for (chunk, attachment) in BlobChunks.messages(sha256: hash, bytes: Data(bytes), limit: chunkLimit) {
                send(Stylefarm_V1_WorkerMessage(.blobData(chunk)), attachments: [attachment])
            }
            if let pins = outputPins[hash] {
                cache.unpin(hash)
                outputPins[hash] = pins > 1 ? pins - 1 : nil
            }
        }
    }

    private func receive(_ chunk: Stylefarm_V1_BlobData, attachments: [Data]) {
        metrics.blobBytesReceived.increment(by: Int64(attachments.reduce(0) { $0 + $1.count }))
        let hash = chunk.sha256
        guard requestedBlobs.contains(hash) else {
            updateStats { $0.droppedMessages += 1 }
            log("dropped an unrequested BlobData for \(hash.prefix(80))")
            return
        }
        func fail(_ reason: String) {
            log("blob \(hash): \(reason)")
            incomingBlobs[hash] = nil
            requestedBlobs.remove(hash)
            sentBlobRequests.remove(hash)
            waiters.resolve(hash, arrived: false)
        }
        var assembly = incomingBlobs[hash] ?? BlobAssembly(maxBytes: UInt64(cache.maxBytes))
        let bytes: Data
        switch assembly.add(chunk, attachments: attachments) {
        case .more:
            incomingBlobs[hash] = assembly
            return
        case .failed(let reason):
            return fail(chunk.notFound ? "the coordinator does not have it" : reason)
        case .complete(let whole):
            bytes = whole
        }
        incomingBlobs[hash] = nil
        do {
            try cache.put([UInt8](bytes), expecting: hash)   // verifies the SHA-256
            requestedBlobs.remove(hash)
            sentBlobRequests.remove(hash)
            waiters.resolve(hash, arrived: true)
        } catch {
            fail("rejected: \(error)")
        }
    }

    // MARK: Helpers

    private func publishStats() {
        let m = machine, buffered = reporter.pending.count
        updateStats {
            $0.registrations = m.registrations
            $0.backoffs = m.backoffHistory
            $0.bufferedReports = buffered
            $0.heartbeatsSent = m.heartbeatsSent
            $0.state = "\(m.state)"
        }
    }

    private func log(_ message: String) {
        FileHandle.standardError.write(Data("stylefarm worker \(configuration.workerID): \(message)\n".utf8))
    }
}

extension WorkerStateMachine {
    /// `[.flushReports]` when registered (used before a graceful Disconnect).
    func flushIfRegistered() -> [Action] { isRegistered ? [.flushReports] : [] }
}

/// A send while no socket is open (between connections).
struct NoSocket: Error {}

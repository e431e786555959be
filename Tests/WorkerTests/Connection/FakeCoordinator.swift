import Foundation
import Protocol
import XCTest
@testable import Worker

/// The coordinator's side of the worker channel, played by the test: a ROUTER on 127.0.0.1 speaking the
/// protocol with `Framing`. Used only from the test's thread.
final class FakeCoordinator {
    let context: ZMQContext
    let framing = Framing()
    private(set) var router: Socket?
    private(set) var endpoint: String
    var workerID = Data()

    init(context: ZMQContext, endpoint: String = "tcp://127.0.0.1:*") throws {
        self.context = context
        self.endpoint = endpoint
        try bind()
    }

    /// Binds a new ROUTER (the same port again after `close()`).
    func bind() throws {
        let s = try context.makeSocket(.router)
        try s.setLinger(milliseconds: 0)
        try s.setRouterMandatory(true)
        var lastError: Error?
        for _ in 0..<50 {  // the port may take a moment to be free again after a close
            do {
                try s.bind(endpoint)
                lastError = nil
                break
            } catch {
                lastError = error
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        if let lastError { throw lastError }
        endpoint = try s.lastEndpoint()
        router = s
    }

    /// Goes silent: closes the ROUTER.
    func close() {
        router?.close()
        router = nil
    }

    /// The next decodable worker message within `timeout`, or nil.
    func receive(timeout: Duration) throws -> Routed<Stylefarm_V1_WorkerMessage>? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let router else { return nil }
            guard let frames = try router.receiveMultipart(timeout: ContinuousClock.now.duration(to: deadline)) else { return nil }
            let routed = try framing.decodeRouted(Stylefarm_V1_WorkerMessage.self, from: frames)
            workerID = routed.routingID
            return routed
        }
        return nil
    }

    /// Receives until a message matches `match`, skipping (and returning) the others.
    @discardableResult
    func expect(_ what: String, timeout: Duration = .seconds(5), skipped: UnsafeMutablePointer<[Stylefarm_V1_WorkerMessage]>? = nil,
                file: StaticString = #filePath, line: UInt = #line,
                _ match: (Stylefarm_V1_WorkerMessage) -> Bool) throws -> Routed<Stylefarm_V1_WorkerMessage>? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let routed = try receive(timeout: ContinuousClock.now.duration(to: deadline)) else { break }
            if match(routed.message) { return routed }
            skipped?.pointee.append(routed.message)
        }
        XCTFail("no \(what) within \(timeout)", file: file, line: line)
        return nil
    }

    func send(_ payload: Stylefarm_V1_CoordinatorMessage.OneOf_Payload, attachments: [Data] = []) throws {
        try sendRaw(try framing.encode(Stylefarm_V1_CoordinatorMessage(payload), attachments: attachments, to: workerID))
    }

    func sendRaw(_ frames: [Data]) throws {
        guard let router else { throw NoSocket() }
        try router.send(multipart: frames)
    }

    /// Waits for Register, answers an accepted RegisterAck announcing `interval`/`liveness`.
    @discardableResult
    func acceptRegistration(interval: Duration = .milliseconds(100), liveness: UInt32 = 100, creditInReports: Bool = false,
                            file: StaticString = #filePath, line: UInt = #line) throws -> Stylefarm_V1_Register? {
        guard let routed = try expect("Register", file: file, line: line, { if case .register? = $0.payload { true } else { false } }),
              case .register(let register)? = routed.message.payload else { return nil }
        var ack = Stylefarm_V1_RegisterAck()
        ack.accepted = true
        ack.protocolVersion = ProtocolVersion.major
        ack.heartbeatIntervalMs = UInt32(interval / .milliseconds(1))
        ack.heartbeatLiveness = liveness
        ack.coordinatorID = "fake"
        ack.creditInReports = creditInReports
        try send(.registerAck(ack))
        return register
    }
}

/// A `WorkerLoop` running on its own thread (its loop thread) until `stop()`.
final class RunningWorker {
    let loop: WorkerLoop
    private let stopFlag = Flag()
    private let drainFlag = Flag()
    private let finished = Flag()
    private let done = DispatchSemaphore(value: 0)

    init(_ loop: WorkerLoop) {
        self.loop = loop
        let stopFlag = self.stopFlag, drainFlag = self.drainFlag, finished = self.finished, done = self.done
        let thread = Thread {
            loop.run(until: { stopFlag.isSet }, drain: { drainFlag.isSet }, gracePeriod: .seconds(2))
            finished.set()
            done.signal()
        }
        thread.stackSize = 16 << 20
        thread.start()
    }

    func stop(file: StaticString = #filePath, line: UInt = #line) {
        stopFlag.set()
        if finished.isSet { return }
        if done.wait(timeout: .now() + 10) == .timedOut { XCTFail("the worker loop did not stop", file: file, line: line) }
    }

    /// Asks the loop to drain (as SIGUSR1 does `stylefarm worker`).
    func drain() { drainFlag.set() }

    /// Whether the loop returned by itself (a drain ended) within `timeout`.
    func hasStopped(within timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !finished.isSet && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return finished.isSet
    }

    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        var isSet: Bool { lock.withLock { value } }
        func set() { lock.withLock { value = true } }
    }
}

extension Stylefarm_V1_WorkerMessage {
    var isHeartbeat: Bool { if case .heartbeat? = payload { true } else { false } }
    var ready: Stylefarm_V1_Ready? { if case .ready(let r)? = payload { r } else { nil } }
    var result: Stylefarm_V1_Result? { if case .result(let r)? = payload { r } else { nil } }
    var failure: Stylefarm_V1_Failure? { if case .failure(let f)? = payload { f } else { nil } }
    var blobRequest: Stylefarm_V1_BlobRequest? { if case .blobRequest(let r)? = payload { r } else { nil } }
    var blobData: Stylefarm_V1_BlobData? { if case .blobData(let d)? = payload { d } else { nil } }
}

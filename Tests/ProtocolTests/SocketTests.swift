import Foundation
import XCTest
@testable import Protocol

/// libzmq through `Socket`: inproc and 127.0.0.1 only, every wait bounded.
final class SocketTests: XCTestCase {
    let framing = Framing()
    let wait: Duration = .seconds(5)

    private func receive(_ socket: Socket, file: StaticString = #filePath, line: UInt = #line) throws -> [Data] {
        guard let frames = try socket.receiveMultipart(timeout: wait) else {
            XCTFail("no message within \(wait)", file: file, line: line)
            throw ZMQError(code: 0, operation: "test receive", message: "timeout")
        }
        return frames
    }

    /// Register → RegisterAck between a DEALER with a routing id and a ROUTER.
    private func exchange(router: Socket, dealer: Socket) throws {
        let register = Stylefarm_V1_WorkerMessage(.register(Samples.register))
        try dealer.send(multipart: try framing.encode(register))
        let routed = try framing.decodeRouted(Stylefarm_V1_WorkerMessage.self, from: try receive(router))
        XCTAssertEqual(routed.routingID, Data("worker-1".utf8))
        XCTAssertEqual(routed.message, register)

        let ack = Stylefarm_V1_CoordinatorMessage(.registerAck(Samples.registerAck))
        try router.send(multipart: try framing.encode(ack, to: routed.routingID))
        XCTAssertEqual(try framing.decode(Stylefarm_V1_CoordinatorMessage.self, from: try receive(dealer)).message, ack)
    }

    private func pair(_ context: ZMQContext, endpoint: String) throws -> (router: Socket, dealer: Socket, endpoint: String) {
        let router = try context.makeSocket(.router)
        try router.bind(endpoint)
        let bound = try router.lastEndpoint()
        let dealer = try context.makeSocket(.dealer)
        try dealer.setRoutingID(Data("worker-1".utf8))
        try dealer.connect(bound)
        return (router, dealer, bound)
    }

    func testRouterDealerExchangeOverInproc() throws {
        let context = try ZMQContext()
        let (router, dealer, endpoint) = try pair(context, endpoint: "inproc://farm-\(UUID().uuidString)")
        XCTAssertTrue(endpoint.hasPrefix("inproc://farm-"))
        try exchange(router: router, dealer: dealer)
    }

    func testRouterDealerExchangeOverTCPWithEphemeralPort() throws {
        let context = try ZMQContext()
        let (router, dealer, endpoint) = try pair(context, endpoint: "tcp://127.0.0.1:*")
        XCTAssertTrue(endpoint.hasPrefix("tcp://127.0.0.1:"), endpoint)
        let port = Int(endpoint.split(separator: ":").last ?? "") ?? 0
        XCTAssertGreaterThan(port, 0, endpoint)
        try exchange(router: router, dealer: dealer)
    }

    func testLargeMultipartMessageArrivesIntact() throws {
        let context = try ZMQContext()
        let (router, dealer, _) = try pair(context, endpoint: "tcp://127.0.0.1:*")
        var big = Data(count: 8 << 20)
        big.withUnsafeMutableBytes { raw in
            var x: UInt32 = 2463534242
            for i in 0..<raw.count { x ^= x << 13; x ^= x >> 17; x ^= x << 5; raw[i] = UInt8(truncatingIfNeeded: x) }
        }
        let frames = [Data("small".utf8), big, Data(), Data([1, 2, 3])]
        try dealer.send(multipart: frames)
        let received = try receive(router)
        XCTAssertEqual(received.count, 5)
        XCTAssertEqual(received[0], Data("worker-1".utf8))
        XCTAssertEqual(Array(received.dropFirst()), frames)
        // [UInt8] frames work too, and the ROUTER routes back by the first frame.
        try router.send(multipart: [Array("worker-1".utf8), [7, 8], []])
        XCTAssertEqual(try receive(dealer), [Data([7, 8]), Data()])
    }

    func testReceiveTimesOutWithNothingPending() throws {
        let context = try ZMQContext()
        let (_, dealer, _) = try pair(context, endpoint: "inproc://timeout-\(UUID().uuidString)")
        let clock = ContinuousClock()
        let start = clock.now
        XCTAssertNil(try dealer.receiveMultipart(timeout: .milliseconds(150)))
        let elapsed = start.duration(to: clock.now)
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(140))
        XCTAssertLessThan(elapsed, .milliseconds(1500))
        XCTAssertNil(try dealer.receiveMultipart(timeout: .zero))
    }

    func testPollerTimesOutAndReportsTheReadySocket() throws {
        let context = try ZMQContext()
        let a = try pair(context, endpoint: "inproc://poll-a-\(UUID().uuidString)")
        let b = try pair(context, endpoint: "inproc://poll-b-\(UUID().uuidString)")
        let poller = Poller()
        XCTAssertEqual(poller.register(a.router), 0)
        XCTAssertEqual(poller.register(b.router), 1)
        XCTAssertEqual(poller.count, 2)

        let clock = ContinuousClock()
        let start = clock.now
        XCTAssertEqual(try poller.poll(timeout: .milliseconds(200)), [[], []])
        let elapsed = start.duration(to: clock.now)
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(190))
        XCTAssertLessThan(elapsed, .milliseconds(1500))

        try b.dealer.send(multipart: [Data("hi".utf8)])
        let ready = try poller.poll(timeout: wait)
        XCTAssertEqual(ready, [[], .readable])
        XCTAssertEqual(try b.router.receiveMultipart(timeout: .zero), [Data("worker-1".utf8), Data("hi".utf8)])

        let writable = Poller()
        writable.register(a.dealer, for: .writable)
        XCTAssertEqual(try writable.poll(timeout: wait), [.writable])
    }

    func testDealerReconnectsAfterRouterUnbindsAndRebinds() throws {
        let context = try ZMQContext()
        let (router, dealer, endpoint) = try pair(context, endpoint: "tcp://127.0.0.1:*")
        try dealer.setReconnectInterval(milliseconds: 50)
        try exchange(router: router, dealer: dealer)

        try router.unbind(endpoint)
        // Unbinding also closes the connections accepted on the endpoint: nothing gets through.
        try dealer.send(multipart: [Data("lost?".utf8)], dontWait: true)
        XCTAssertNil(try router.receiveMultipart(timeout: .milliseconds(300)))
        try bindRetrying(router, endpoint)
        try assertDealerGetsThrough(dealer, to: router)
    }

    func testDealerReconnectsToARestartedRouterOnTheSamePort() throws {
        let context = try ZMQContext()
        var (router, dealer, endpoint) = try pair(context, endpoint: "tcp://127.0.0.1:*")
        try dealer.setReconnectInterval(milliseconds: 50)
        try exchange(router: router, dealer: dealer)

        router.close()  // the coordinator restarts
        router = try context.makeSocket(.router)
        try bindRetrying(router, endpoint)
        XCTAssertEqual(try router.lastEndpoint(), endpoint)
        try assertDealerGetsThrough(dealer, to: router)
        try exchange(router: router, dealer: dealer)
    }

    /// libzmq closes listeners asynchronously, so the port can be busy for a moment.
    private func bindRetrying(_ socket: Socket, _ endpoint: String) throws {
        let deadline = ContinuousClock.now + .seconds(3)
        while true {
            do { return try socket.bind(endpoint) } catch let error as ZMQError where ContinuousClock.now < deadline {
                _ = error
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }

    /// Pings until one arrives: messages in flight when the connection dropped may be lost.
    private func assertDealerGetsThrough(_ dealer: Socket, to router: Socket, file: StaticString = #filePath, line: UInt = #line) throws {
        let deadline = ContinuousClock.now + .seconds(5)
        let ping = try framing.encode(Stylefarm_V1_WorkerMessage(.heartbeat(Samples.heartbeat)))
        while ContinuousClock.now < deadline {
            try dealer.send(multipart: ping, dontWait: true)
            if let frames = try router.receiveMultipart(timeout: .milliseconds(100)) {
                XCTAssertEqual(frames[0], Data("worker-1".utf8), file: file, line: line)
                XCTAssertEqual(Array(frames.dropFirst()), ping, file: file, line: line)
                while try router.receiveMultipart(timeout: .milliseconds(100)) != nil {}  // drain extra pings
                return
            }
        }
        XCTFail("the DEALER did not reconnect within 5 s", file: file, line: line)
    }

    func testRouterMandatorySendToUnknownPeerThrowsHostUnreachable() throws {
        let context = try ZMQContext()
        let router = try context.makeSocket(.router)
        try router.setRouterMandatory(true)
        try router.bind("tcp://127.0.0.1:*")
        let frames = try framing.encode(Stylefarm_V1_CoordinatorMessage(.heartbeat(Samples.heartbeat)), to: Data("nobody".utf8))
        XCTAssertThrowsError(try router.send(multipart: frames)) { error in
            guard let error = error as? ZMQError else { return XCTFail("not a ZMQError: \(error)") }
            XCTAssertTrue(error.isHostUnreachable, error.description)
            XCTAssertEqual(error.code, EHOSTUNREACH)
            XCTAssertFalse(error.message.isEmpty)
        }
    }

    func testDontWaitWithoutPeerThrowsWouldBlock() throws {
        let context = try ZMQContext()
        let dealer = try context.makeSocket(.dealer)  // connected to nothing: no pipe to queue on
        XCTAssertThrowsError(try dealer.send(multipart: [Data("x".utf8)], dontWait: true)) { error in
            XCTAssertEqual((error as? ZMQError)?.isWouldBlock, true, "\(error)")
        }
    }

    func testOptionsAndEndpointErrorsAreTyped() throws {
        let context = try ZMQContext()
        let socket = try context.makeSocket(.dealer)
        try socket.setHighWaterMarks(send: 100, receive: 100)
        try socket.setMaxMessageSize(Int64(FarmDefaults.maxMessageBytes))
        try socket.setLinger(milliseconds: 0)
        XCTAssertThrowsError(try socket.bind("tcp://127.0.0.1:notaport")) { error in
            let z = error as? ZMQError
            XCTAssertNotNil(z)
            XCTAssertTrue(z?.description.contains("zmq_bind(tcp://127.0.0.1:notaport)") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try socket.connect("bogus://x"))
        XCTAssertThrowsError(try socket.setRoutingID(Data()))  // ids are 1…255 bytes
        XCTAssertThrowsError(try socket.send(multipart: [Data]()))
    }

    func testClosedSocketThrowsClosed() throws {
        let context = try ZMQContext()
        let socket = try context.makeSocket(.dealer)
        socket.close()
        socket.close()
        XCTAssertTrue(socket.isClosed)
        XCTAssertThrowsError(try socket.send(multipart: [Data("x".utf8)])) { XCTAssertEqual(($0 as? ZMQError)?.isClosed, true) }
        XCTAssertThrowsError(try socket.receiveMultipart(timeout: .zero)) { XCTAssertEqual(($0 as? ZMQError)?.isClosed, true) }
        XCTAssertThrowsError(try socket.bind("inproc://closed")) { XCTAssertEqual(($0 as? ZMQError)?.isClosed, true) }
        let poller = Poller()
        poller.register(socket)
        XCTAssertThrowsError(try poller.poll(timeout: .zero))
    }

    func testContextShutdownWakesABlockedReceiver() throws {
        let context = try ZMQContext()
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox()
        let thread = Thread {
            do {
                let socket = try context.makeSocket(.pair)  // created, used and closed on this thread
                defer { socket.close() }
                try socket.bind("inproc://shutdown")
                _ = try socket.receiveMultipart()
                result.set("returned a message")
            } catch let error as ZMQError {
                result.set(error.isTerminated ? "terminated" : error.description)
            } catch {
                result.set("\(error)")
            }
            done.signal()
        }
        thread.start()
        Thread.sleep(forTimeInterval: 0.1)
        context.shutdown()
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(result.get(), "terminated")
    }

    func testREQClientTalksToRouterWithDelimiter() throws {
        let context = try ZMQContext()
        let router = try context.makeSocket(.router)
        try router.bind("inproc://req-\(UUID().uuidString)")
        let req = try context.makeSocket(.req)
        try req.connect(try router.lastEndpoint())
        let request = Samples.clientRequests[2]
        try req.send(multipart: try framing.encode(request))
        let routed = try framing.decodeRouted(Stylefarm_V1_ClientRequest.self, from: try receive(router))
        XCTAssertTrue(routed.delimited)
        XCTAssertEqual(routed.message, request)
        let reply = Samples.clientReplies[3]
        try router.send(multipart: try framing.encode(reply, to: routed.routingID, delimited: routed.delimited))
        XCTAssertEqual(try framing.decode(Stylefarm_V1_ClientReply.self, from: try receive(req)).message, reply)
    }
}

/// A string shared between a test and a thread it starts.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?
    func set(_ v: String) { lock.lock(); value = v; lock.unlock() }
    func get() -> String? { lock.lock(); defer { lock.unlock() }; return value }
}

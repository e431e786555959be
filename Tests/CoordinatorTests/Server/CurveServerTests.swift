import Engine
import Foundation
import Protocol
import XCTest
@testable import Coordinator

/// A coordinator with CurveZMQ and its ZAP handler, over real sockets on 127.0.0.1 (issue 17): only
/// authorized keys get through, each only on its role's channel, a plain peer gets nothing, and a key
/// removed from `authorized_keys` is refused at its next connection without a restart.
final class CurveServerTests: XCTestCase {
    private var context: ZMQContext!
    private var state: URL!
    private var server: CoordinatorServer!
    private var sockets: [Socket] = []
    private let framing = Framing()

    override func setUpWithError() throws {
        context = try ZMQContext()
        state = FileManager.default.temporaryDirectory.appendingPathComponent("stylefarm-curve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
    }

    override func tearDown() {
        for socket in sockets { socket.close() }
        server?.close()
        try? FileManager.default.removeItem(at: state)
    }

    private func startServer(_ security: CoordinatorSecurity) throws {
        let configuration = CoordinatorServer.Configuration(stateDirectory: state, workerEndpoint: "tcp://127.0.0.1:*",
                                                            clientEndpoint: "tcp://127.0.0.1:*",
                                                            heartbeatInterval: .milliseconds(100), security: security)
        server = try CoordinatorServer(configuration: configuration, context: context)
        server.log = { _ in }
    }

    /// A DEALER to `endpoint`, CurveZMQ with `keys` when given, plain otherwise.
    private func dealer(_ endpoint: String, keys: CurveKeyPair?, id: String? = nil) throws -> Socket {
        let socket = try context.makeSocket(.dealer)
        try socket.setLinger(milliseconds: 0)
        if let id { try socket.setRoutingID(Data(id.utf8)) }
        if let keys { try socket.makeCurveClient(serverKey: server.configuration.security!.keys.publicKey, keys: keys) }
        try socket.connect(endpoint)
        sockets.append(socket)
        return socket
    }

    /// Steps the server for up to `timeout`, returning the first message `socket` receives.
    private func firstMessage(on socket: Socket, within timeout: Duration) throws -> [Data]? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            try server.runOnce(timeout: .milliseconds(5))
            if let frames = try socket.receiveMultipart(timeout: .zero) { return frames }
        }
        return nil
    }

    private func register(_ id: String) throws -> [Data] {
        var register = Stylefarm_V1_Register()
        register.workerID = id
        register.slots = 1
        register.protocolVersion = ProtocolVersion.major
        return try framing.encode(Stylefarm_V1_WorkerMessage(.register(register)))
    }

    private var listJobs: [Data] {
        get throws { try framing.encode(Stylefarm_V1_ClientRequest(requestID: 7, .listJobs(Stylefarm_V1_ListJobs()))) }
    }

    private func registerAck(_ frames: [Data]?) throws -> Stylefarm_V1_RegisterAck? {
        guard let frames, case .registerAck(let ack)? = try framing.decode(Stylefarm_V1_CoordinatorMessage.self, from: frames).message.payload
        else { return nil }
        return ack
    }

    func testOnlyAuthorizedKeysGetThroughEachOnItsRolesChannel() throws {
        let worker = try CurveKeyPair.generate(), admin = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        try startServer(CoordinatorSecurity(keys: try CurveKeyPair.generate(), authorized: .fixed(AuthorizedKeys([
            .init(role: .worker, publicKey: worker.publicKey, name: "w"),
            .init(role: .admin, publicKey: admin.publicKey, name: "boss")]))))

        let good = try dealer(server.workerEndpoint, keys: worker, id: "good")
        try good.send(multipart: try register("good"))
        XCTAssertEqual(try registerAck(firstMessage(on: good, within: .seconds(5)))?.accepted, true)

        let client = try dealer(server.clientEndpoint, keys: admin)
        try client.send(multipart: try listJobs)
        let reply = try XCTUnwrap(firstMessage(on: client, within: .seconds(5)), "the admin got no reply")
        XCTAssertEqual(try framing.decode(Stylefarm_V1_ClientReply.self, from: reply).message.requestID, 7)

        // Nothing for a stranger, a client key on the worker channel, a worker key on the client channel, a plain peer.
        let refusedBefore = server.stats.dropped["unauthorized", default: 0]
        let strangerSocket = try dealer(server.workerEndpoint, keys: stranger, id: "stranger")
        try strangerSocket.send(multipart: try register("stranger"))
        let adminAsWorker = try dealer(server.workerEndpoint, keys: admin, id: "admin-as-worker")
        try adminAsWorker.send(multipart: try register("admin-as-worker"))
        let workerAsClient = try dealer(server.clientEndpoint, keys: worker)
        try workerAsClient.send(multipart: try listJobs)
        let plain = try dealer(server.clientEndpoint, keys: nil)
        try plain.send(multipart: try listJobs)
        let plainWorker = try dealer(server.workerEndpoint, keys: nil, id: "plain")
        try plainWorker.send(multipart: try register("plain"))
        let deadline = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < deadline {
            try server.runOnce(timeout: .milliseconds(5))
            for (name, socket) in [("stranger", strangerSocket), ("admin key as a worker", adminAsWorker),
                                   ("worker key as a client", workerAsClient), ("plain client", plain), ("plain worker", plainWorker)] {
                XCTAssertNil(try socket.receiveMultipart(timeout: .zero), "\(name) got a message through")
            }
        }
        XCTAssertGreaterThanOrEqual(server.stats.dropped["unauthorized", default: 0] - refusedBefore, 3,
                                    "the three CurveZMQ peers with wrong keys were refused by the ZAP handler")
        XCTAssertEqual(try server.store.listWorkers().map(\.id), ["good"], "only the authorized worker is on record")
    }

    func testARevokedKeyIsRefusedAtItsNextConnectionWithoutARestart() throws {
        let (folder, created) = try KeyFolder.openOrCreate(stateDirectory: state)
        XCTAssertTrue(created)
        try startServer(CoordinatorSecurity(folder: folder))
        let credentialPath = state.appendingPathComponent("w.credential").path
        let credential = try folder.createCredential(name: "w", role: .worker, at: credentialPath)
        XCTAssertEqual(try Credential.read(path: credentialPath), credential)

        let first = try dealer(server.workerEndpoint, keys: credential.keys, id: "w")
        try first.send(multipart: try register("w"))
        XCTAssertEqual(try registerAck(firstMessage(on: first, within: .seconds(5)))?.accepted, true)

        XCTAssertEqual(try folder.revoke(name: "w"), 1)
        let second = try dealer(server.workerEndpoint, keys: credential.keys, id: "w-again")
        try second.send(multipart: try register("w-again"))
        XCTAssertNil(try firstMessage(on: second, within: .seconds(2)), "a revoked key got through")

        // The admin credential the folder made on first start works on the client channel.
        let admin = try Credential.read(path: folder.adminCredentialPath)
        XCTAssertEqual(admin.coordinatorKey, folder.coordinatorKeys.publicKey)
        let client = try dealer(server.clientEndpoint, keys: admin.keys)
        try client.send(multipart: try listJobs)
        XCTAssertNotNil(try firstMessage(on: client, within: .seconds(5)))
    }
}

/// Job ownership (issue 17): a submitter key sees and changes only the jobs it submitted; an admin every job.
final class JobOwnershipTests: XCTestCase {
    private var context: ZMQContext!
    private var state: URL!
    private var server: CoordinatorServer!
    private var sockets: [Socket] = []
    private let framing = Framing()
    private var nextRequest: UInt64 = 1

    override func tearDown() {
        for socket in sockets { socket.close() }
        server?.close()
        if let state { try? FileManager.default.removeItem(at: state) }
    }

    private func client(_ keys: CurveKeyPair) throws -> Socket {
        let socket = try context.makeSocket(.dealer)
        try socket.setLinger(milliseconds: 0)
        try socket.makeCurveClient(serverKey: server.configuration.security!.keys.publicKey, keys: keys)
        try socket.connect(server.clientEndpoint)
        sockets.append(socket)
        return socket
    }

    private func request(_ socket: Socket, _ payload: Stylefarm_V1_ClientRequest.OneOf_Payload) throws -> Stylefarm_V1_ClientReply {
        let id = nextRequest
        nextRequest += 1
        try socket.send(multipart: try framing.encode(Stylefarm_V1_ClientRequest(requestID: id, payload)))
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            try server.runOnce(timeout: .milliseconds(5))
            if let frames = try socket.receiveMultipart(timeout: .zero) {
                let reply = try framing.decode(Stylefarm_V1_ClientReply.self, from: frames).message
                if reply.requestID == id { return reply }
            }
        }
        throw XCTSkip("no reply within 10 s")
    }

    private func submit(_ socket: Socket, name: String) throws -> String {
        var spec = Stylefarm_V1_JobSpec()
        spec.name = name
        spec.kind = .echo
        spec.frames = "1-2"
        var submit = Stylefarm_V1_SubmitJob()
        submit.spec = spec
        guard case .submitJob(let reply)? = try request(socket, .submitJob(submit)).payload, case .jobID(let id)? = reply.outcome else {
            XCTFail("submit refused"); return ""
        }
        return id
    }

    private func listed(_ socket: Socket) throws -> [String: String] {
        guard case .listJobs(let reply)? = try request(socket, .listJobs(Stylefarm_V1_ListJobs())).payload else { return [:] }
        return Dictionary(uniqueKeysWithValues: reply.jobs.map { ($0.jobID, $0.owner) })
    }

    func testASubmitterSeesAndChangesOnlyItsOwnJobsAndAnAdminEveryJob() throws {
        context = try ZMQContext()
        state = FileManager.default.temporaryDirectory.appendingPathComponent("stylefarm-owners-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let alice = try CurveKeyPair.generate(), bob = try CurveKeyPair.generate(), admin = try CurveKeyPair.generate()
        let configuration = CoordinatorServer.Configuration(
            stateDirectory: state, workerEndpoint: "tcp://127.0.0.1:*", clientEndpoint: "tcp://127.0.0.1:*",
            security: CoordinatorSecurity(keys: try CurveKeyPair.generate(), authorized: .fixed(AuthorizedKeys([
                .init(role: .submitter, publicKey: alice.publicKey, name: "alice"),
                .init(role: .submitter, publicKey: bob.publicKey, name: "bob"),
                .init(role: .admin, publicKey: admin.publicKey, name: "wrangler")]))))
        server = try CoordinatorServer(configuration: configuration, context: context)
        server.log = { _ in }
        let a = try client(alice), b = try client(bob), w = try client(admin)

        let alicesJob = try submit(a, name: "alice-shot")
        let bobsJob = try submit(b, name: "bob-shot")
        XCTAssertEqual(try server.store.job(alicesJob)?.owner, "alice")
        XCTAssertEqual(try listed(a), [alicesJob: "alice"])
        XCTAssertEqual(try listed(b), [bobsJob: "bob"])
        XCTAssertEqual(try listed(w), [alicesJob: "alice", bobsJob: "bob"])

        // Bob can neither see nor cancel nor watch Alice's job.
        var status = Stylefarm_V1_JobStatusRequest()
        status.jobID = alicesJob
        guard case .jobStatus(let seen)? = try request(b, .jobStatus(status)).payload else { return XCTFail("no status reply") }
        XCTAssertEqual(seen.error.code, .permissionDenied)
        XCTAssertTrue(seen.error.message.contains("belongs to alice"), seen.error.message)
        XCTAssertFalse(seen.hasJob)
        var cancel = Stylefarm_V1_CancelJob()
        cancel.jobID = alicesJob
        guard case .cancelJob(let refused)? = try request(b, .cancelJob(cancel)).payload else { return XCTFail("no cancel reply") }
        XCTAssertEqual(refused.error.code, .permissionDenied)
        XCTAssertFalse(refused.cancelled)
        XCTAssertNotEqual(try server.store.job(alicesJob)?.state, .cancelled)
        var watch = Stylefarm_V1_WatchJob()
        watch.jobID = alicesJob
        guard case .error(let watchRefused)? = try request(b, .watchJob(watch)).payload else { return XCTFail("bob could watch") }
        XCTAssertEqual(watchRefused.code, .permissionDenied)

        // Alice sees her own; the admin cancels it.
        guard case .jobStatus(let own)? = try request(a, .jobStatus(status)).payload else { return XCTFail("no status reply") }
        XCTAssertEqual(own.job.owner, "alice")
        guard case .cancelJob(let done)? = try request(w, .cancelJob(cancel)).payload else { return XCTFail("no cancel reply") }
        XCTAssertTrue(done.cancelled, done.error.message)
        XCTAssertEqual(try server.store.job(alicesJob)?.state, .cancelled)
    }
}

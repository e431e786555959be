import Engine
import Foundation
import JobModel
import Protocol
import XCTest
@testable import Coordinator

/// Uploads over the client channel (issue 17, `submit --upload`): with `--allow-read` closed to the job's
/// folder, the job is refused as it stands, and accepted once its files were sent as blobs and laid out in a
/// checkout; a checkout is readable only by jobs of the key that made it.
final class UploadServerTests: XCTestCase {
    var harness: ServerHarness!

    override func setUpWithError() throws {
        harness = try ServerHarness { configuration in
            let state = configuration.stateDirectory
            let readable = state.appendingPathComponent("readable"), out = state.appendingPathComponent("job/out")
            try? FileManager.default.createDirectory(at: readable, withIntermediateDirectories: true)
            try? FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            configuration.pathPolicy = try! PathPolicy(readRoots: [readable.path], writeRoots: [out.path])
        }
    }

    override func tearDown() { harness?.close() }

    private func submitError(_ client: FakeClient, _ spec: Stylefarm_V1_JobSpec) throws -> Stylefarm_V1_ClientError? {
        var submit = Stylefarm_V1_SubmitJob()
        submit.spec = spec
        guard case .submitJob(let reply)? = try client.request(.submitJob(submit))?.payload else { return nil }
        if case .error(let error)? = reply.outcome { return error }
        return nil
    }

    private func upload(_ client: FakeClient, _ bytes: Data, chunk: Int = 100) throws -> Stylefarm_V1_UploadChunkReply? {
        let name = BlobName.of(bytes)
        var offset = 0
        var last: Stylefarm_V1_UploadChunkReply?
        repeat {
            let end = min(bytes.count, offset + chunk)
            var message = Stylefarm_V1_UploadChunk()
            message.sha256 = name
            message.totalSize = UInt64(bytes.count)
            message.offset = UInt64(offset)
            message.last = end == bytes.count
            message.data = .attachment(0)
            guard case .uploadChunk(let reply)? = try client.request(.uploadChunk(message), attachments: [bytes.subdata(in: offset..<end)])?.payload
            else { return nil }
            last = reply
            if reply.hasError { return reply }
            offset = end
        } while offset < bytes.count
        return last
    }

    func testAJobRefusedByTheReadRootsIsAcceptedFromItsUploadedCheckout() throws {
        let plate = Image(width: 12, height: 8, channels: 3, pixels: (0..<(12 * 8 * 3)).map { Float($0 % 7) / 7 })
        let (spec, dir) = try harness.stylizeJob(name: "shot", plates: [1: plate, 2: plate],
                                                 style: Image(width: 4, height: 4, channels: 3, repeating: 0.5), frames: "1-2")
        let client = try harness.client()
        XCTAssertEqual(try submitError(client, spec)?.code, .permissionDenied, "the plates are outside --allow-read")

        let files = ["plate.0001.png", "plate.0002.png", "style.png"].map { dir.appendingPathComponent($0).path }
        let contents = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        var query = Stylefarm_V1_UploadQuery()
        query.sha256 = contents.map { BlobName.of($0) }
        guard case .uploadQuery(let before)? = try client.request(.uploadQuery(query))?.payload else { return XCTFail("no answer") }
        XCTAssertEqual(before.missing, [BlobName.of(contents[0]), BlobName.of(contents[2])], "the two identical plates are one blob")
        for bytes in [contents[0], contents[2]] {
            let reply = try XCTUnwrap(try upload(client, bytes))
            XCTAssertFalse(reply.hasError, reply.error.message)
            XCTAssertTrue(reply.stored)
        }
        guard case .uploadQuery(let after)? = try client.request(.uploadQuery(query))?.payload else { return XCTFail("no answer") }
        XCTAssertEqual(after.missing, [])

        var checkout = Stylefarm_V1_Checkout()
        checkout.files = zip(files, contents).map { path, bytes in
            var file = Stylefarm_V1_CheckoutFile()
            file.path = CheckoutLayout.relativePath(of: path)
            file.sha256 = BlobName.of(bytes)
            return file
        }
        guard case .checkout(let made)? = try client.request(.checkout(checkout))?.payload else { return XCTFail("no answer") }
        XCTAssertFalse(made.hasError, made.error.message)
        XCTAssertTrue(made.root.hasPrefix(harness.stateDirectory.appendingPathComponent("uploads/checkouts/local").path), made.root)

        var uploaded = spec
        uploaded.contentPattern = CheckoutLayout.place(spec.contentPattern, under: made.root)
        uploaded.stylePaths = spec.stylePaths.map { CheckoutLayout.place($0, under: made.root) }
        let jobID = try client.submit(uploaded)
        XCTAssertEqual(try harness.server.store.frames(ofJob: jobID).count, 2)

        // A worker fetches the uploaded plate like any other input.
        let worker = try harness.worker("w")
        try worker.register(slots: 1)
        try worker.ready(1)
        let task = try XCTUnwrap(worker.nextTask(timeout: .seconds(20)), "no task from the uploaded job")
        XCTAssertEqual(task.jobID, jobID)

        // Deleting the job removes its checkout (found from the stored spec, on the maintenance thread).
        var delete = Stylefarm_V1_DeleteJob()
        delete.jobID = jobID
        guard case .deleteJob(let deleted)? = try client.request(.deleteJob(delete))?.payload else { return XCTFail("no delete reply") }
        XCTAssertFalse(deleted.hasError, deleted.error.message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: made.root), "the job's checkout is gone")
    }

    func testAnotherKeysCheckoutIsOutsideWhatAJobMayRead() throws {
        // alice's checkout exists on disk; bob's submission names it.
        let store = harness.server.uploadStore
        let bytes = Data("a plate".utf8)
        _ = try store.receive(owner: "alice", sha256: BlobName.of(bytes), totalSize: UInt64(bytes.count), offset: 0,
                              bytes: bytes, last: true, now: Date())
        let made = try store.checkout(owner: "alice", id: "", files: [("p/plate.0001.png", BlobName.of(bytes))])
        let aliceFile = made.root + "/p/plate.0001.png"
        let alice = harness.server.submission(owner: "alice").pathPolicy
        let bob = harness.server.submission(owner: "bob").pathPolicy
        XCTAssertNoThrow(try alice.check(aliceFile, for: .read))
        XCTAssertThrowsError(try bob.check(aliceFile, for: .read)) { error in
            guard case .outside? = error as? PathPolicyError else { return XCTFail("\(error)") }
        }
    }
}

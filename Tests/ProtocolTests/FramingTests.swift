import Foundation
import SwiftProtobuf
import XCTest
@testable import Protocol

final class FramingTests: XCTestCase {
    let framing = Framing()

    private func assertThrows<T>(_ expected: ProtocolError, file: StaticString = #filePath, line: UInt = #line,
                                 _ body: () throws -> T) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? ProtocolError, expected, file: file, line: line)
        }
    }

    private func body<M: ChannelMessage>(_ m: M) throws -> Data { try m.serializedData() }

    // MARK: Round trips

    func testHeaderBytes() throws {
        let frames = try framing.encode(Samples.workerMessages[2])
        XCTAssertEqual(frames.count, 2)
        XCTAssertEqual(Array(frames[0]), [0x53, 0x46, 0x01, 0x57])
        XCTAssertEqual(Array(Framing.header(for: .coordinatorToWorker)), [0x53, 0x46, 0x01, 0x43])
        XCTAssertEqual(Array(Framing.header(for: .clientRequest)), [0x53, 0x46, 0x01, 0x51])
        XCTAssertEqual(Array(Framing.header(for: .clientReply)), [0x53, 0x46, 0x01, 0x52])
    }

    func testReadyExampleFromProtocolDoc() throws {
        var ready = Stylefarm_V1_Ready(); ready.freeSlots = 2
        let frames = try framing.encode(Stylefarm_V1_WorkerMessage(.ready(ready)))
        XCTAssertEqual(frames.map(Array.init), [[0x53, 0x46, 0x01, 0x57], [0x12, 0x02, 0x08, 0x02]])
    }

    private func assertRoundTrips<M: ChannelMessage & Equatable>(_ messages: [M]) throws {
        for m in messages {
            let frames = try framing.encode(m)
            XCTAssertEqual(try framing.decode(M.self, from: frames).message, m)
            let routed = try framing.encode(m, to: Data("peer-7".utf8))
            XCTAssertEqual(routed.count, 3)
            let decoded = try framing.decodeRouted(M.self, from: routed)
            XCTAssertEqual(decoded.routingID, Data("peer-7".utf8))
            XCTAssertFalse(decoded.delimited)
            XCTAssertEqual(decoded.message, m)
            XCTAssertEqual(decoded.attachments, [])
        }
    }

    func testWorkerToCoordinatorRoundTrip() throws { try assertRoundTrips(Samples.workerMessages) }
    func testCoordinatorToWorkerRoundTrip() throws { try assertRoundTrips(Samples.coordinatorMessages) }
    func testClientRequestRoundTrip() throws { try assertRoundTrips(Samples.clientRequests) }
    func testClientReplyRoundTrip() throws { try assertRoundTrips(Samples.clientReplies) }

    func testAttachmentsRoundTripAndResolve() throws {
        let image = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let m = Stylefarm_V1_WorkerMessage(.result(Samples.result))  // data = attachment 0
        let frames = try framing.encode(m, attachments: [image, Data()])
        XCTAssertEqual(frames.count, 4)
        let decoded = try framing.decode(Stylefarm_V1_WorkerMessage.self, from: frames)
        XCTAssertEqual(decoded.attachments, [image, Data()])
        guard case .result(let r)? = decoded.message.payload else { return XCTFail("not a result") }
        XCTAssertEqual(try r.data.resolve(in: decoded.attachments), image)
        XCTAssertEqual(try Stylefarm_V1_Payload.inline(Data([9])).resolve(in: []), Data([9]))
        assertThrows(.missingAttachment(index: 2, count: 2)) { try Stylefarm_V1_Payload.attachment(2).resolve(in: decoded.attachments) }
        assertThrows(.emptyPayload) { try Stylefarm_V1_Payload().resolve(in: []) }
    }

    func testRequestDelimiterIsRecognizedAndEchoed() throws {
        let request = Samples.clientRequests[1]
        let fromReq = [Data("req-peer".utf8), Data()] + (try framing.encode(request))
        let decoded = try framing.decodeRouted(Stylefarm_V1_ClientRequest.self, from: fromReq)
        XCTAssertTrue(decoded.delimited)
        XCTAssertEqual(decoded.message, request)
        let reply = try framing.encode(Samples.clientReplies[2], to: decoded.routingID, delimited: decoded.delimited)
        XCTAssertEqual(reply.count, 4)
        XCTAssertEqual(reply[1], Data())
        XCTAssertEqual(Array(reply[2]), [0x53, 0x46, 0x01, 0x52])
    }

    // MARK: Errors

    func testWrongFrameCounts() throws {
        let header = Framing.header(for: .workerToCoordinator)
        assertThrows(.wrongFrameCount(got: 0, needed: 2)) { try framing.decode(Stylefarm_V1_WorkerMessage.self, from: []) }
        assertThrows(.wrongFrameCount(got: 1, needed: 2)) { try framing.decode(Stylefarm_V1_WorkerMessage.self, from: [header]) }
        assertThrows(.wrongFrameCount(got: 2, needed: 3)) {
            try framing.decodeRouted(Stylefarm_V1_WorkerMessage.self, from: [Data("id".utf8), header])
        }
        assertThrows(.wrongFrameCount(got: 3, needed: 4)) {
            try framing.decodeRouted(Stylefarm_V1_WorkerMessage.self, from: [Data("id".utf8), Data(), header])
        }
    }

    func testMissingRoutingID() throws {
        let frames = try framing.encode(Samples.workerMessages[0])
        assertThrows(.missingRoutingID) { try framing.decodeRouted(Stylefarm_V1_WorkerMessage.self, from: [Data()] + frames) }
        assertThrows(.missingRoutingID) { try framing.encode(Samples.coordinatorMessages[0], to: Data()) }
    }

    func testBadHeaders() throws {
        let b = try body(Samples.workerMessages[0])
        for header: [UInt8] in [[], [0x53, 0x46, 0x01], [0x53, 0x46, 0x01, 0x57, 0x00], [0x53, 0x47, 0x01, 0x57], Array("GET / HTTP/1.1\r\n\r\n".utf8)] {
            assertThrows(.badHeader(Array(header.prefix(16)))) {
                try framing.decode(Stylefarm_V1_WorkerMessage.self, from: [Data(header), b])
            }
        }
    }

    func testUnsupportedVersion() throws {
        let b = try body(Samples.workerMessages[0])
        for version: UInt8 in [0, 2, 0xFF] {
            assertThrows(.unsupportedVersion(version)) {
                try framing.decode(Stylefarm_V1_WorkerMessage.self, from: [Data([0x53, 0x46, version, 0x57]), b])
            }
        }
    }

    func testUnknownAndWrongChannels() throws {
        let b = try body(Samples.workerMessages[0])
        assertThrows(.unknownChannel(0x58)) {
            try framing.decode(Stylefarm_V1_WorkerMessage.self, from: [Data([0x53, 0x46, 0x01, 0x58]), b])
        }
        // A client request arriving on the worker port.
        let request = try framing.encode(Samples.clientRequests[0])
        assertThrows(.wrongChannel(expected: .workerToCoordinator, got: .clientRequest)) {
            try framing.decode(Stylefarm_V1_WorkerMessage.self, from: request)
        }
        let reply = try framing.encode(Samples.clientReplies[0], to: Data("c".utf8))
        assertThrows(.wrongChannel(expected: .coordinatorToWorker, got: .clientReply)) {
            try framing.decodeRouted(Stylefarm_V1_CoordinatorMessage.self, from: reply)
        }
    }

    func testUnknownMessageTypes() throws {
        let header = Framing.header(for: .workerToCoordinator)
        // An empty body parses as an envelope with no payload.
        assertThrows(.unknownMessageType(.workerToCoordinator)) {
            try framing.decode(Stylefarm_V1_WorkerMessage.self, from: [header, Data()])
        }
        // Field 99 (length-delimited, one byte): a message type a newer peer added.
        assertThrows(.unknownMessageType(.workerToCoordinator)) {
            try framing.decode(Stylefarm_V1_WorkerMessage.self, from: [header, Data([0x9A, 0x06, 0x01, 0x00])])
        }
        // ClientRequest with only a request id.
        var request = Stylefarm_V1_ClientRequest(); request.requestID = 9
        assertThrows(.unknownMessageType(.clientRequest)) {
            try framing.decode(Stylefarm_V1_ClientRequest.self, from: [Framing.header(for: .clientRequest), try request.serializedData()])
        }
    }

    func testOversizedMessages() throws {
        let small = Framing(maxMessageBytes: 1000)
        let m = Stylefarm_V1_WorkerMessage(.result(Samples.result))
        let frames = try framing.encode(m, attachments: [Data(count: 2000)])
        let size = frames.reduce(0) { $0 + $1.count }
        assertThrows(.oversized(bytes: size, limit: 1000)) { try small.decode(Stylefarm_V1_WorkerMessage.self, from: frames) }
        assertThrows(.oversized(bytes: size, limit: 1000)) { try small.encode(m, attachments: [Data(count: 2000)]) }
        // The routing id does not count.
        let exact = Framing(maxMessageBytes: size)
        XCTAssertNoThrow(try exact.decodeRouted(Stylefarm_V1_WorkerMessage.self, from: [Data(count: 200)] + frames))
        // The default limit is 64 MiB.
        XCTAssertEqual(Framing().maxMessageBytes, 64 << 20)
    }

    func testTooManyAttachments() throws {
        let limited = Framing(maxAttachments: 2)
        let m = Samples.workerMessages[0]
        let frames = try framing.encode(m, attachments: [Data(), Data(), Data()])
        assertThrows(.tooManyAttachments(count: 3, limit: 2)) { try limited.decode(Stylefarm_V1_WorkerMessage.self, from: frames) }
        assertThrows(.tooManyAttachments(count: 3, limit: 2)) { try limited.encode(m, attachments: [Data(), Data(), Data()]) }
    }

    func testMalformedBodies() throws {
        let header = Framing.header(for: .workerToCoordinator)
        let full = try body(Stylefarm_V1_WorkerMessage(.register(Samples.register)))
        let bodies: [Data] = [
            Data([0xFF, 0xFF, 0xFF, 0xFF]),          // invalid tag / varint
            full.prefix(full.count - 3),             // truncated
            Data([0x0A, 0x7F, 0x00]),                // length past the end
            Data([0x0F]),                            // wire type 7 does not exist
        ]
        for b in bodies {
            XCTAssertThrowsError(try framing.decode(Stylefarm_V1_WorkerMessage.self, from: [header, b])) { error in
                guard case .malformedBody(let reason)? = error as? ProtocolError else {
                    return XCTFail("expected malformedBody for \(Array(b.prefix(8))), got \(error)")
                }
                XCTAssertFalse(reason.isEmpty)
            }
        }
    }

    func testGarbageNeverCrashesAndOnlyThrowsProtocolErrors() {
        // Deterministic pseudo-random frames, some with a valid header so the parser is reached.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        var decodedSome = 0
        for _ in 0..<3000 {
            let frameCount = Int(next() % 5)
            var frames: [Data] = (0..<frameCount).map { _ in Data((0..<Int(next() % 24)).map { _ in UInt8(truncatingIfNeeded: next()) }) }
            if frameCount >= 2 && next() % 2 == 0 { frames[0] = Framing.header(for: .workerToCoordinator) }
            do {
                _ = try framing.decode(Stylefarm_V1_WorkerMessage.self, from: frames)
                decodedSome += 1
            } catch {
                XCTAssertTrue(error is ProtocolError, "unexpected \(error)")
            }
            do {
                _ = try framing.decodeRouted(Stylefarm_V1_CoordinatorMessage.self, from: frames)
            } catch {
                XCTAssertTrue(error is ProtocolError, "unexpected \(error)")
            }
        }
        _ = decodedSome
    }

    func testErrorDescriptionsSayWhatHappened() {
        XCTAssertEqual(ProtocolError.badHeader([0x53, 0x47]).description, "bad header frame 5347")
        XCTAssertTrue(ProtocolError.unsupportedVersion(2).description.contains("version 2"))
        XCTAssertTrue(ProtocolError.oversized(bytes: 10, limit: 5).description.contains("limit of 5"))
    }
}

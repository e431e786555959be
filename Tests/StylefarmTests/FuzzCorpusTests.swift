import Engine
import Foundation
import Protocol
import XCTest
@testable import stylefarm_fuzz

/// Every committed fuzz input (`Fuzz/corpus/<target>/`: the seeds, and each crash fuzzing found) replayed
/// through its target without the fuzzer: a decoder that crashes on one fails this test (issue 17).
final class FuzzCorpusTests: XCTestCase {
    private static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")

    func testEveryCommittedInputRunsThroughItsTarget() throws {
        var ran: [String: Int] = [:]
        for target in FuzzTarget.allCases {
            let folder = Self.corpus.appendingPathComponent(target.rawValue)
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() {
                target.run(try Data(contentsOf: folder.appendingPathComponent(name)))
                ran[target.rawValue, default: 0] += 1
            }
        }
        for target in FuzzTarget.allCases {
            XCTAssertGreaterThan(ran[target.rawValue, default: 0], 0, "no seeds for \(target.rawValue)")
        }
    }

    /// The seeds are what they say: a fuzzer starting from undecodable seeds explores less.
    func testTheSeedsDecode() throws {
        let framing = try Data(contentsOf: Self.corpus.appendingPathComponent("framing/routed-worker-register"))
        XCTAssertNoThrow(try Framing(maxMessageBytes: 1 << 20).decodeRouted(Stylefarm_V1_WorkerMessage.self,
                                                                             from: FuzzTarget.frames(framing)))
        let png = try Data(contentsOf: Self.corpus.appendingPathComponent("images/rgb16.png"))
        XCTAssertEqual(try ImageReader.decode(png).bitDepth, 16)
        let jpeg = try Data(contentsOf: Self.corpus.appendingPathComponent("images/rgb-progressive.jpg"))
        XCTAssertEqual(try ImageReader.decode(jpeg).width, 16)
    }
}

import Engine
import FarmWire
import Foundation
import Protocol
import XCTest
@testable import Worker

/// STYLE_GRAMS tasks (issue 7): a worker sums its part of a large style image's Gram matrices, scaling the
/// image as the engine does, so the parts of every worker add up to the targets one machine computes.
final class TaskExecutorStyleGramsTests: XCTestCase {
    private var folder = ""
    private var cache: BlobCache!

    override func setUp() {
        EngineThreads.set(1)
        folder = TestSupport.temporaryFolder()
        cache = try! BlobCache(root: folder, maxBytes: 256 << 20)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    private func task(style: [UInt8], parameters p: StyleTransferParameters, width: Int, height: Int, core: Int,
                      cores: Range<Int>) throws -> Stylefarm_V1_TaskAssignment {
        var t = Stylefarm_V1_TaskAssignment()
        t.taskID = "j-style-s0-i0-c\(cores.lowerBound)"
        t.jobID = "j"; t.attempt = 1; t.kind = .styleGrams
        t.parameters = Stylefarm_V1_EngineParameters(p, outputBitDepth: 8)
        t.styles = [.with { $0.sha256 = try! cache.put(style); $0.size = UInt64(style.count) }]
        t.styleGrams = .with {
            $0.styleIndex = 0; $0.styleWidth = UInt32(width); $0.styleHeight = UInt32(height)
            $0.core = UInt32(core); $0.firstCore = UInt32(cores.lowerBound); $0.coreCount = UInt32(cores.count)
        }
        return t
    }

    func testPartsFromTheWorkerAddUpToTheEnginesTargets() throws {
        let host = TestSupport.host()
        let executor = TaskExecutor(host: host, cache: cache)
        var p = StyleTransferParameters()
        p.size = 150
        p.scales = 1
        let png = TestSupport.png(width: 120, height: 90, seed: 8)
        let style = try ImageReader.decode(bytes: png)
        let (w, h) = try StyleTransfer.styleSize(width: 120, height: 90, scaleSide: 150, styleScale: p.styleScale)
        XCTAssertEqual([w, h], [150, 113])
        // 3×2 cores of 64 px, in two parts.
        var total: GramSums?
        for cores in [0..<4, 4..<6] {
            let result = try executor.execute(try task(style: png, parameters: p, width: w, height: h, core: 64, cores: cores))
            XCTAssertEqual(result.output.mediaType, GramSums.mediaType)
            let part = try GramSums(serialized: try cache.blob(result.output.sha256))
            if total == nil { total = part } else { try total!.add(part) }
        }
        let combined = try StyleTargets(blending: [try XCTUnwrap(total)], weights: [1])
        let expected = try StyleTransfer(vgg: try host.vgg(p.network, pooling: p.pooling)).styleTargets(styles: [style], parameters: p)[0]
        XCTAssertEqual(combined.layers.map(\.name), expected.layers.map(\.name))
        for (a, b) in zip(combined.layers, expected.layers) {
            let scale = b.gram.map { abs($0) }.max() ?? 1
            XCTAssertLessThan(zip(a.gram, b.gram).map { abs($0 - $1) }.max() ?? .infinity, 1e-4 * scale, a.name)
        }
    }

    func testAPartOutsideTheGridIsRefused() throws {
        let executor = TaskExecutor(host: TestSupport.host(), cache: cache)
        let png = TestSupport.png(width: 40, height: 30, seed: 2)
        XCTAssertThrowsError(try executor.execute(try task(style: png, parameters: StyleTransferParameters(), width: 40, height: 30,
                                                           core: 32, cores: 1..<3))) { error in
            guard case TaskExecutionError.invalidParameters(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("not a valid part"), message)
        }
        var noStyle = try task(style: png, parameters: StyleTransferParameters(), width: 40, height: 30, core: 48, cores: 0..<1)
        noStyle.styles = []
        XCTAssertThrowsError(try executor.execute(noStyle))
    }
}

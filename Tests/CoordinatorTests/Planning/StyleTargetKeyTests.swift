import Engine
import XCTest
@testable import Coordinator

final class StyleTargetKeyTests: XCTestCase {
    private let styleA: [UInt8] = Array("style image A bytes".utf8)
    private let styleB: [UInt8] = Array("style image B bytes".utf8)

    private func key(_ styles: [[UInt8]]? = nil, _ change: (inout StyleTransferParameters) -> Void = { _ in }) -> StyleTargetKey {
        var p = StyleTransferParameters()
        change(&p)
        return StyleTargetKey(styleImages: styles ?? [styleA, styleB], parameters: p)
    }

    func testKeyIsStableAndHex() {
        XCTAssertEqual(key(), key())
        XCTAssertEqual(key().hex.count, 64)
        XCTAssertTrue(key().hex.allSatisfy { "0123456789abcdef".contains($0) })
    }

    func testKeyChangesWithStyleBytes() {
        var flipped = styleA
        flipped[3] ^= 1
        XCTAssertNotEqual(key([flipped, styleB]), key())
        XCTAssertNotEqual(key([styleB, styleA]), key(), "order matters (blend weights pair with images)")
        XCTAssertNotEqual(key([styleA]), key())
        // Concatenation ambiguity: moving bytes between images changes the key.
        XCTAssertNotEqual(key([Array(styleA + styleB.prefix(1)), Array(styleB.dropFirst())]), key())
    }

    func testKeyChangesWithTargetParameters() {
        let base = key()
        XCTAssertNotEqual(key { $0.network = .vgg19 }, base)
        XCTAssertNotEqual(key { $0.pooling = .max }, base)
        XCTAssertNotEqual(key { $0.size = 768 }, base)
        XCTAssertNotEqual(key { $0.scales = 2 }, base)
        XCTAssertNotEqual(key { $0.styleScale = 0.5 }, base)
        XCTAssertNotEqual(key { $0.styleLayers = [.init("relu1_1"), .init("relu2_1")] }, base)
        XCTAssertNotEqual(key { $0.styleBlendWeights = [0.7, 0.3] }, base)
        XCTAssertNotEqual(StyleTargetKey(styleImages: [styleA, styleB], parameters: StyleTransferParameters(), weightsIdentity: "sha:1"), base)
    }

    func testKeyIgnoresParametersThatDoNotAffectTargets() {
        let base = key()
        XCTAssertEqual(key { $0.iterations = 7 }, base)
        XCTAssertEqual(key { $0.seed = 99 }, base)
        XCTAssertEqual(key { $0.contentWeight = 5 }, base)
        XCTAssertEqual(key { $0.styleWeight = 5 }, base)
        XCTAssertEqual(key { $0.tvWeight = 0 }, base)
        XCTAssertEqual(key { $0.optimizer = .adam(learningRate: 1) }, base)
        XCTAssertEqual(key { $0.initialization = .noise }, base)
        XCTAssertEqual(key { $0.originalColors = true }, base)
        XCTAssertEqual(key { $0.contentLayers = [.init("relu3_1")] }, base)
        XCTAssertEqual(key { $0.styleLayers = $0.styleLayers.map { .init($0.name, weight: 3) } }, base, "layer weights scale the loss only")
        XCTAssertEqual(key { $0.styleBlendWeights = [2, 2] }, base, "blend weights are normalized")
    }

    func testLoadReadsFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.png").path, b = dir.appendingPathComponent("b.png").path
        _ = FileManager.default.createFile(atPath: a, contents: Data(styleA))
        _ = FileManager.default.createFile(atPath: b, contents: Data(styleB))
        XCTAssertEqual(try StyleTargetKey.load(stylePaths: [a, b], parameters: StyleTransferParameters()), key())
        XCTAssertThrowsError(try StyleTargetKey.load(stylePaths: [a, dir.path + "/nope.png"], parameters: StyleTransferParameters())) {
            XCTAssertEqual($0 as? StyleTargetKeyError, .unreadableStyle(path: dir.path + "/nope.png"))
        }
    }
}

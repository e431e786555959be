import Engine
import XCTest
@testable import Coordinator

final class StyleTargetKeyTests: XCTestCase {
    func testSHA256KnownVectors() {
        func digest(_ s: String) -> String { var h = SHA256(); h.update(Array(s.utf8)); return SHA256.hex(h.finalize()) }
        XCTAssertEqual(digest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(digest(String(repeating: "a", count: 1_000)),
                       "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
        // Incremental updates across block boundaries give the same digest.
        var h = SHA256()
        for chunk in stride(from: 0, to: 1_000, by: 37) { h.update(Array(repeating: UInt8(ascii: "a"), count: min(37, 1_000 - chunk))) }
        XCTAssertEqual(SHA256.hex(h.finalize()), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

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

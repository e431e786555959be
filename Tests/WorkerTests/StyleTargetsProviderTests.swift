import Engine
import XCTest
import Protocol
@testable import Worker

final class StyleTargetsProviderTests: XCTestCase {
    override func setUp() { EngineThreads.set(1) }

    private func parameters(scales: Int = 1) -> StyleTransferParameters {
        var p = StyleTransferParameters()
        p.size = 32
        p.scales = scales
        p.iterations = 2
        return p
    }

    func testTargetsAreByteIdenticalWhenComputedTwice() throws {
        let styles = [TestSupport.image(width: 24, height: 20, seed: 3)]
        let first = try StyleTargetsProvider(host: TestSupport.host()).serializedTargets(parameters: parameters(scales: 2), styles: styles)
        let second = try StyleTargetsProvider(host: TestSupport.host()).serializedTargets(parameters: parameters(scales: 2), styles: styles)
        XCTAssertEqual(first.map(\.scaleSize), [16, 32])
        XCTAssertEqual(first, second)
        XCTAssertNotEqual(first[0].sha256, first[1].sha256)
        XCTAssertEqual(first[1].sha256, BlobName.of(first[1].bytes))
        let parsed = try StyleTargets(serialized: first[1].bytes)
        XCTAssertEqual(parsed.layers.map(\.name), parameters().styleLayers.map(\.name))
    }

    func testDifferentStyleOrBlendWeightChangesTheHash() throws {
        let provider = StyleTargetsProvider(host: TestSupport.host())
        let a = TestSupport.image(width: 24, height: 20, seed: 3), b = TestSupport.image(width: 20, height: 24, seed: 4)
        let base = try provider.serializedTargets(parameters: parameters(), styles: [a])[0].sha256
        XCTAssertNotEqual(try provider.serializedTargets(parameters: parameters(), styles: [b])[0].sha256, base)
        var p = parameters()
        p.styleBlendWeights = [1, 2]
        let blend12 = try provider.serializedTargets(parameters: p, styles: [a, b])[0].sha256
        p.styleBlendWeights = [2, 1]
        let blend21 = try provider.serializedTargets(parameters: p, styles: [a, b])[0].sha256
        XCTAssertNotEqual(blend12, blend21)
        XCTAssertNotEqual(blend12, base)
        p.styleScale = 0.5
        XCTAssertNotEqual(try provider.serializedTargets(parameters: p, styles: [a, b])[0].sha256, blend21)
    }

    func testInvalidParametersAreTyped() {
        var p = parameters()
        p.size = 4
        XCTAssertThrowsError(try StyleTargetsProvider(host: TestSupport.host()).targets(parameters: p, styles: [TestSupport.image(width: 8, height: 8, seed: 1)])) {
            guard case .invalidParameters = $0 as? TaskExecutionError else { return XCTFail("\($0)") }
        }
    }
}

import XCTest
@testable import Engine
import TestSupport

/// The temporal term in a stylization (Ruder et al. 2016): a frame stylized toward its predecessor's
/// warped result flickers much less than one stylized on its own.
final class TemporalStylizationTests: XCTestCase {
    func testClosestFirstWeights() {
        let w = TemporalTargets.closestFirst([[1, 0.5, 0, 0], [1, 1, 1, 0.2]])
        XCTAssertEqual(w[0], [1, 0.5, 0, 0])
        XCTAssertEqual(w[1], [0, 0.5, 1, 0.2])
    }

    func testTemporalTermCutsTheWarpError() throws {
        let vgg = try TestResources.vgg16(pooling: .average)
        let photo = try ImageReader.read(path: try DemoImages.portrait).toRGB()
        let style = try ImageReader.read(path: try DemoImages.painting)
        // Two frames of a 3 px pan to the left: frame 2 at p shows frame 1 at p + 3 (backward flow u = +3).
        let big = try photo.resized(width: 83, height: 96)
        let frame1 = try big.cropped(x: 0, y: 0, width: 80, height: 96)
        let frame2 = try big.cropped(x: 3, y: 0, width: 80, height: 96)
        let backward = FlowField(width: 80, height: 96, constant: 3, 0)
        var p = StyleTransferParameters()
        p.size = 96
        p.iterations = 40
        let transfer = StyleTransfer(vgg: vgg)
        let targets = try transfer.styleTargets(styles: [style], parameters: p)
        let first = try transfer.stylize(content: frame1, styles: [], parameters: p, styleTargets: targets).image
        let independent = try transfer.stylize(content: frame2, styles: [], parameters: p, styleTargets: targets).image

        let (warped, inside) = try Warp.backward(first, flow: backward)
        let certainty = inside.map { $0 ? Float(1) : 0 }
        let temporal = TemporalTargets(targets: [.init(warped: warped, certainty: certainty)],
                                       weight: TemporalLoss.defaultWeight(contentWeight: p.contentWeight))
        let result = try transfer.stylize(content: frame2, styles: [], parameters: p, styleTargets: targets, temporal: temporal)
        XCTAssertGreaterThan(result.finalLosses.temporal, 0)

        let before = try TemporalConsistency.warpError(current: independent, previous: first, flow: backward, certainty: certainty)
        let after = try TemporalConsistency.warpError(current: result.image, previous: first, flow: backward, certainty: certainty)
        print(String(format: "temporal: warp error independent %.5f, with the temporal term %.5f", before.warpError, after.warpError))
        XCTAssertLessThan(after.warpError, before.warpError / 3, "independent \(before.warpError) vs temporal \(after.warpError)")
        // …while still stylized: far from the content frame itself.
        let contentError = try TemporalConsistency.warpError(current: result.image, previous: frame2,
                                                             flow: FlowField(width: 80, height: 96, constant: 0, 0),
                                                             certainty: [Float](repeating: 1, count: 80 * 96))
        XCTAssertGreaterThan(contentError.warpError, 5 * after.warpError)
    }
}

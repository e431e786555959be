import XCTest
import TestSupport
@testable import Engine

/// Segmentation-aware stylization end to end on real VGG-16 weights and real paintings, small enough for CI.
final class RegionStylizationTests: XCTestCase {
    private let size = 128

    private func images() throws -> (content: Image, coffee: Image, hubble: Image) {
        let content = try ImageReader.read(path: try DemoImages.portrait)
        let coffee = try ImageReader.read(path: try DemoImages.painting)
        let hubble = try ImageReader.read(path: try DemoImages.secondPainting)
        let (w, h) = try Image.size(scaling: content.width, content.height, toLongerSide: size)
        return (try content.toRGB().resized(width: w, height: h), coffee, hubble)
    }

    private func parameters(iterations: Int) -> StyleTransferParameters {
        var p = StyleTransferParameters()
        p.size = size
        p.iterations = iterations
        return p
    }

    /// Top half / bottom half of a w×h frame.
    private func halves(width w: Int, height h: Int) -> (top: [Float], bottom: [Float]) {
        let top = (0..<(w * h)).map { Float($0 / w < h / 2 ? 1 : 0) }
        return (top, top.map { 1 - $0 })
    }

    func testOneRegionCoveringTheFrameIsThePlainObjective() throws {
        let vgg = try TestResources.vgg16(pooling: .average)
        let (content, coffee, _) = try images()
        let p = parameters(iterations: 0)
        let transfer = StyleTransfer(vgg: vgg)
        let targets = try transfer.styleTargets(styles: [coffee], parameters: p)[0]
        let tensor = VGGPreprocessing.tensor(from: content)
        let plan = RegionPlan(width: content.width, height: content.height, regions: [
            RegionPlan.Region(name: "all", mask: [Float](repeating: 1, count: content.pixelCount), styleSet: 0,
                              contentWeight: 1, styleWeight: 1),
        ])
        let plain = try StyleObjective(vgg: vgg, parameters: p, content: tensor, styleTargets: targets)
        let guided = try StyleObjective(vgg: vgg, parameters: p, content: tensor, regions: plan, styleTargets: [targets],
                                        propagation: .average)
        // Evaluate away from the content image so the content term is not zero.
        var x = tensor
        var rng = TestRandom(seed: 5)
        for i in 0..<x.count { x.data[i] += rng.next(20) }
        var g1 = Tensor(channels: 0, height: 0, width: 0), g2 = g1
        let l1 = plain.evaluate(x, gradient: &g1), l2 = guided.evaluate(x, gradient: &g2)
        XCTAssertEqual(l2.style, l1.style, accuracy: 1e-4 * l1.style)
        XCTAssertEqual(l2.content, l1.content, accuracy: 1e-4 * l1.content)
        XCTAssertLessThan(relativeMaxError(g2.data, g1.data), 1e-3)
    }

    func testEachRegionMatchesItsOwnStyleAndNotTheOther() throws {
        let vgg = try TestResources.vgg16(pooling: .average)
        let (content, coffee, hubble) = try images()
        let p = parameters(iterations: 80)
        let transfer = StyleTransfer(vgg: vgg)
        let coffeeTargets = try transfer.styleTargets(styles: [coffee], blendWeights: [1], parameters: p)
        let hubbleTargets = try transfer.styleTargets(styles: [hubble], blendWeights: [1], parameters: p)
        let (top, bottom) = halves(width: content.width, height: content.height)
        let masks = RegionMasks(width: content.width, height: content.height, named: [("top", top), ("bottom", bottom)])
        let plan = try RegionPlan.resolve(masks: masks, assignments: [
            RegionAssignment(name: "top", style: .image("coffee")), RegionAssignment(name: "bottom", style: .image("hubble")),
        ], styleSets: [0, 1], defaultStyleSet: nil)
        let result = try transfer.stylize(content: content, regions: RegionStylization(plan: plan),
                                          styleTargets: [coffeeTargets, hubbleTargets], parameters: p)
        XCTAssertEqual(result.image.width, content.width)

        let layers = ["relu1_1", "relu2_1", "relu3_1"].map { StyleTransferParameters.WeightedLayer($0) }
        func distance(_ image: Image, _ mask: [Float], _ targets: [StyleTargets]) throws -> Float {
            try RegionLosses.style(vgg: vgg, image: image, mask: mask, targets: targets[0], layers: layers, propagation: .inside)
        }
        let topOwn = try distance(result.image, top, coffeeTargets), topOther = try distance(result.image, top, hubbleTargets)
        let bottomOwn = try distance(result.image, bottom, hubbleTargets), bottomOther = try distance(result.image, bottom, coffeeTargets)
        XCTAssertLessThan(topOwn, 0.5 * topOther, "top: coffee \(topOwn) vs hubble \(topOther)")
        XCTAssertLessThan(bottomOwn, 0.5 * bottomOther, "bottom: hubble \(bottomOwn) vs coffee \(bottomOther)")
        // And both moved towards their style from where they started.
        XCTAssertLessThan(topOwn, 0.25 * (try distance(content, top, coffeeTargets)))
        XCTAssertLessThan(bottomOwn, 0.25 * (try distance(content, bottom, hubbleTargets)))
    }

    func testAPhotorealRegionKeepsItsContent() throws {
        let vgg = try TestResources.vgg16(pooling: .average)
        let (content, coffee, _) = try images()
        let p = parameters(iterations: 60)
        let transfer = StyleTransfer(vgg: vgg)
        let targets = try transfer.styleTargets(styles: [coffee], blendWeights: [1], parameters: p)
        let (top, bottom) = halves(width: content.width, height: content.height)
        let masks = RegionMasks(width: content.width, height: content.height, named: [("top", top), ("bottom", bottom)])
        let plan = try RegionPlan.resolve(masks: masks, assignments: [RegionAssignment(name: "bottom", style: .none)],
                                          styleSets: [nil], defaultStyleSet: 0)
        XCTAssertEqual(plan.regions.map(\.name), ["bottom", "rest"])
        let w = content.width, h = content.height
        func meanChange(_ image: Image, rows: Range<Int>) -> Float {
            var s: Float = 0
            for y in rows { for x in 0..<w { for c in 0..<3 { s += abs(image[x: x, y: y, c: c] - content[x: x, y: y, c: c]) } } }
            return s / Float(rows.count * w * 3)
        }
        let joint = try transfer.stylize(content: content, regions: RegionStylization(plan: plan),
                                         styleTargets: [targets], parameters: p).image
        let stylizedChange = meanChange(joint, rows: 0..<(h / 2 - 16)), keptChange = meanChange(joint, rows: (h / 2 + 16)..<h)
        XCTAssertGreaterThan(stylizedChange, 0.05, "the styled half changed")
        XCTAssertLessThan(keptChange, 0.25 * stylizedChange, "photoreal half \(keptChange) vs styled half \(stylizedChange)")

        // Composite mode: the photoreal half is the content image itself away from the feathered seam.
        let composite = try transfer.stylize(content: content, regions: RegionStylization(plan: plan, mode: .composite),
                                             styleTargets: [targets], parameters: p).image
        XCTAssertLessThan(meanChange(composite, rows: (h / 2 + 8)..<h), 1e-3)
        XCTAssertGreaterThan(meanChange(composite, rows: 0..<(h / 2 - 8)), 0.05)
    }

    func testPlansOfTheWrongSizeAreRejected() throws {
        let vgg = try TestResources.vgg16(pooling: .average)
        let (content, coffee, _) = try images()
        let p = parameters(iterations: 1)
        let transfer = StyleTransfer(vgg: vgg)
        let targets = try transfer.styleTargets(styles: [coffee], blendWeights: [1], parameters: p)
        let plan = RegionPlan(width: 10, height: 10, regions: [
            RegionPlan.Region(name: "all", mask: [Float](repeating: 1, count: 100), styleSet: 0, contentWeight: 1, styleWeight: 1),
        ])
        XCTAssertThrowsError(try transfer.stylize(content: content, regions: RegionStylization(plan: plan),
                                                  styleTargets: [targets], parameters: p)) {
            guard case RegionError.maskSizeMismatch = $0 else { return XCTFail("\($0)") }
        }
    }
}

/// Style targets from a region of the style image (`--style-regions`).
final class RegionStyleTargetsTests: XCTestCase {
    func testAMaskedStyleImageGivesTheStatisticsOfItsRegion() throws {
        let vgg = try TestResources.vgg16(pooling: .average)
        let coffee = try ImageReader.read(path: try DemoImages.painting).toRGB()
        let hubble = try ImageReader.read(path: try DemoImages.secondPainting).toRGB()
        // A 128×64 collage: coffee on the left, hubble on the right.
        let left = try coffee.resized(width: 64, height: 64), right = try hubble.resized(width: 64, height: 64)
        var pixels = [Float](repeating: 0, count: 128 * 64 * 3)
        for y in 0..<64 {
            for x in 0..<128 {
                for c in 0..<3 { pixels[(y * 128 + x) * 3 + c] = x < 64 ? left[x: x, y: y, c: c] : right[x: x - 64, y: y, c: c] }
            }
        }
        let collage = Image(width: 128, height: 64, channels: 3, pixels: pixels)
        var p = StyleTransferParameters()
        p.size = 128
        p.styleLayers = ["relu1_1", "relu2_1", "relu3_1"].map { StyleTransferParameters.WeightedLayer($0) }
        let transfer = StyleTransfer(vgg: vgg)
        let leftMask = (0..<(128 * 64)).map { Float($0 % 128 < 64 ? 1 : 0) }
        let masked = try transfer.styleTargets(style: collage, mask: leftMask, parameters: p)[0]
        let whole = try transfer.styleTargets(styles: [collage], blendWeights: [1], parameters: p)[0]
        let ones = try transfer.styleTargets(style: collage, mask: [Float](repeating: 1, count: 128 * 64), parameters: p)[0]
        // Reference: each painting alone, at the size it has in the collage (its own 64×64 tile).
        var tile = p
        tile.size = 64
        let coffeeAlone = try transfer.styleTargets(styles: [left], blendWeights: [1], parameters: tile)[0]
        let hubbleAlone = try transfer.styleTargets(styles: [right], blendWeights: [1], parameters: tile)[0]
        func distance(_ a: StyleTargets, _ b: StyleTargets) -> Double {
            zip(a.layers, b.layers).reduce(0.0) { sum, pair in
                sum + zip(pair.0.gram, pair.1.gram).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(pair.0.channels * pair.0.channels)
            }
        }
        XCTAssertLessThan(distance(ones, whole), 1e-6 * distance(whole, coffeeAlone), "an all-ones mask is the whole image")
        XCTAssertLessThan(distance(masked, coffeeAlone), 0.25 * distance(masked, hubbleAlone))
        XCTAssertLessThan(distance(masked, coffeeAlone), 0.5 * distance(whole, coffeeAlone), "closer to the coffee half than the whole collage is")
    }
}

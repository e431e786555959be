import Foundation
import XCTest
@testable import Engine
import TestSupport

/// End-to-end stylizations on real images and real VGG-16 weights, small enough for CI.
final class StyleTransferTests: XCTestCase {
    private func inputs(size: Int) throws -> (content: Image, style: Image) {
        // A portrait-shaped crop (400×512) of the square astronaut photo, so the longer side is the height.
        let content = try ImageReader.read(path: try DemoImages.portrait).cropped(x: 56, y: 0, width: 400, height: 512)
        let style = try ImageReader.read(path: try DemoImages.painting)
        return (content, style)
    }

    private func parameters(size: Int, iterations: Int) -> StyleTransferParameters {
        var p = StyleTransferParameters()
        p.size = size
        p.iterations = iterations
        return p
    }

    func testStylizationLowersStyleLossWhileKeepingContent() throws {
        let vgg = try TestResources.vgg16(pooling: .average)
        let (content, style) = try inputs(size: 128)
        let p = parameters(size: 128, iterations: 60)
        var reported: [Float] = []
        let result = try StyleTransfer(vgg: vgg).stylize(content: content, styles: [style], parameters: p) {
            reported.append($0.losses.total)
            return true
        }
        // The content is portrait: the longer side (height) becomes --size.
        XCTAssertGreaterThan(content.height, content.width)
        XCTAssertEqual(result.image.height, 128)
        XCTAssertEqual(result.image.width, Int((Double(content.width) * 128 / Double(content.height)).rounded()))
        XCTAssertEqual(result.evaluations, 60)
        XCTAssertEqual(reported.count, 60)
        // Starting from the content image the style loss is large; the optimization must cut it by ≥ 20×.
        XCTAssertGreaterThan(result.initialLosses.style, 20 * result.finalLosses.style,
                             "style loss \(result.initialLosses.style) → \(result.finalLosses.style)")
        // Content stays bounded: much closer to the content image than the style image itself is.
        var contentOnly = p
        contentOnly.styleWeight = 0
        contentOnly.tvWeight = 0
        contentOnly.iterations = 0
        contentOnly.styleLayers = []
        let styleAsImage = try style.toRGB().resized(width: result.image.width, height: result.image.height)
        let objective = try StyleObjective(
            vgg: vgg, parameters: contentOnly,
            content: VGGPreprocessing.tensor(from: try content.toRGB().resized(width: result.image.width, height: result.image.height)),
            styleTargets: StyleTargets(layers: []))
        var g = Tensor(channels: 0, height: 0, width: 0)
        let resultContent = objective.evaluate(VGGPreprocessing.tensor(from: result.image), gradient: &g).content
        let styleContent = objective.evaluate(VGGPreprocessing.tensor(from: styleAsImage), gradient: &g).content
        XCTAssertLessThan(resultContent, 0.7 * styleContent, "content loss of the result \(resultContent) vs of the style image \(styleContent)")
        XCTAssertGreaterThan(resultContent, 0, "the image must have changed")
        // …and it is the content term that holds it there: without it the content drifts further (1.15× with
        // the coffee style at 60 evaluations; a content term that did nothing would give 1.0×).
        var styleOnly = p
        styleOnly.contentWeight = 0
        let drifted = try StyleTransfer(vgg: vgg).stylize(content: content, styles: [style], parameters: styleOnly).image
        let driftedContent = objective.evaluate(VGGPreprocessing.tensor(from: drifted), gradient: &g).content
        XCTAssertGreaterThan(driftedContent, 1.1 * resultContent, "content loss without the content term \(driftedContent) vs with it \(resultContent)")
    }

    func testSameInputsGiveIdenticalBytes() throws {
        let vgg = try TestResources.vgg16(pooling: .average)
        let (content, style) = try inputs(size: 48)
        var p = parameters(size: 48, iterations: 15)
        p.initialization = .noise
        p.seed = 7
        let a = try StyleTransfer(vgg: vgg).stylize(content: content, styles: [style], parameters: p).image
        let b = try StyleTransfer(vgg: vgg).stylize(content: content, styles: [style], parameters: p).image
        XCTAssertEqual(try ImageWriter.encodePNG(a, bitDepth: 16), try ImageWriter.encodePNG(b, bitDepth: 16))
        p.seed = 8
        let c = try StyleTransfer(vgg: vgg).stylize(content: content, styles: [style], parameters: p).image
        XCTAssertNotEqual(a.pixels, c.pixels, "a different seed must give a different noise start")
    }

    func testMultiScaleBlendedStylesAndOriginalColors() throws {
        let vgg = try TestResources.vgg16(pooling: .average)
        let (content, style) = try inputs(size: 64)
        let second = try ImageReader.read(path: try DemoImages.secondPainting)
        var p = parameters(size: 64, iterations: 10)
        p.scales = 2
        p.styleBlendWeights = [0.7, 0.3]
        p.originalColors = true
        var scalesSeen = Set<Int>()
        let result = try StyleTransfer(vgg: vgg).stylize(content: content, styles: [style, second], parameters: p) {
            scalesSeen.insert($0.height)
            return true
        }
        XCTAssertEqual(scalesSeen, [32, 64])
        XCTAssertEqual(result.evaluations, 20)
        // Original colours: the chroma is the content's, the luminance the stylization's.
        let reference = try content.toRGB().resized(width: result.image.width, height: result.image.height)
        var chromaError: Float = 0, chromaErrorSum: Float = 0
        for i in stride(from: 0, to: reference.pixels.count, by: 3) {
            let (r1, g1, b1) = (reference.pixels[i], reference.pixels[i + 1], reference.pixels[i + 2])
            let (r2, g2, b2) = (result.image.pixels[i], result.image.pixels[i + 1], result.image.pixels[i + 2])
            // BT.601 Cb and Cr.
            let cb1 = -0.168736 * r1 - 0.331264 * g1 + 0.5 * b1, cr1 = 0.5 * r1 - 0.418688 * g1 - 0.081312 * b1
            let cb2 = -0.168736 * r2 - 0.331264 * g2 + 0.5 * b2, cr2 = 0.5 * r2 - 0.418688 * g2 - 0.081312 * b2
            chromaErrorSum += abs(cb1 - cb2) + abs(cr1 - cr2)
            // Where the recombined colour leaves [0,1], clamping changes the chroma; skip those pixels.
            if [r2, g2, b2].allSatisfy({ $0 > 0.01 && $0 < 0.99 }) {
                chromaError = max(chromaError, abs(cb1 - cb2), abs(cr1 - cr2))
            }
        }
        XCTAssertLessThan(chromaError, 0.01, "unclamped pixels keep the content's chroma (up to 8-bit rounding)")
        XCTAssertLessThan(chromaErrorSum / Float(reference.pixels.count / 3), 0.01, "mean chroma difference")
    }

    func testPrecomputedTargetsGiveTheSameImageAndStoppingEndsTheWholeRun() throws {
        let vgg = try TestResources.vgg16(pooling: .average)
        let (content, style) = try inputs(size: 32)
        var p = parameters(size: 32, iterations: 6)
        p.scales = 2
        let transfer = StyleTransfer(vgg: vgg)
        let direct = try transfer.stylize(content: content, styles: [style], parameters: p)
        let targets = try transfer.styleTargets(styles: [style], parameters: p)
        XCTAssertEqual(targets.count, 2)
        let viaTargets = try transfer.stylize(content: content, styles: [], parameters: p, styleTargets: targets)
        XCTAssertEqual(direct.image, viaTargets.image)
        XCTAssertThrowsError(try transfer.stylize(content: content, styles: [], parameters: p, styleTargets: [targets[0]])) {
            XCTAssertTrue("\($0)".contains("1 sets of style targets for 2 scales"), "\($0)")
        }
        var calls = 0
        let stopped = try transfer.stylize(content: content, styles: [style], parameters: p) { _ in
            calls += 1
            return calls < 3
        }
        XCTAssertEqual(calls, 3, "no progress after the observer said stop, not even at the next scale")
        XCTAssertEqual(stopped.evaluations, 3)
    }

    func testInvalidParametersAreRejected() throws {
        let vgg = try TestResources.vgg16(pooling: .average)
        let (content, style) = try inputs(size: 32)
        var p = parameters(size: 32, iterations: 1)
        p.styleBlendWeights = [1, 2]
        XCTAssertThrowsError(try StyleTransfer(vgg: vgg).stylize(content: content, styles: [style], parameters: p)) {
            XCTAssertTrue("\($0)".contains("--style-weights"), "\($0)")
        }
        p = parameters(size: 32, iterations: 1)
        p.styleLayers = [.init("relu9_1")]
        XCTAssertThrowsError(try StyleTransfer(vgg: vgg).stylize(content: content, styles: [style], parameters: p)) {
            XCTAssertTrue("\($0)".contains("relu9_1"), "\($0)")
        }
        p = parameters(size: 40_000, iterations: 1)
        XCTAssertThrowsError(try StyleTransfer(vgg: vgg).stylize(content: content, styles: [style], parameters: p)) {
            XCTAssertTrue("\($0)".contains("at most 32768"), "\($0)")
        }
        p = parameters(size: 32, iterations: 1)
        p.styleLayers = [.init("relu9_1")]
        XCTAssertThrowsError(try StyleTransfer(vgg: vgg).stylize(content: content, styles: [style], parameters: p)) {
            XCTAssertTrue("\($0)".contains("relu9_1"), "\($0)")
        }
    }
}

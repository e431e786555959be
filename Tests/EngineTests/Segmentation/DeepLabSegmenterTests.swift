import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import Engine

/// DeepLabv3 (MobileNetV2, PASCAL VOC) run by the Swift interpreter on the shared images: the bird's IoU
/// against its ground-truth mask and the dominant class of photos of people, a cat and a dog.
final class SegmentationDeepLabTests: XCTestCase {
    override func setUp() {
        EngineThreads.set(2)
    }

    private func segment(_ image: String, model: String = SegmentationTestSupport.fullModel,
                         emulated: Bool = false) throws -> SegmentationResult {
        let segmenter = try SegmentationTestSupport.segmenter(model, emulated: emulated)
        return try segmenter.segment(try SegmentationTestSupport.image(image))
    }

    func testBirdIoUFullModel() throws {
        let result = try segment("images/bird_segmentation.png")
        let mask = try SegmentationTestSupport.image("masks/bird_segmentation_mask.png")
        let iou = SegmentationTestSupport.iou(labels: result.labels, label: PascalVOCClasses.bird, mask: mask)
        print("segmentation: bird IoU full model (float) = \(String(format: "%.4f", iou))")
        XCTAssertGreaterThanOrEqual(iou, 0.88)
    }

    func testBirdIoUFullModelEmulatingQuantizedActivations() throws {
        let result = try segment("images/bird_segmentation.png", emulated: true)
        let mask = try SegmentationTestSupport.image("masks/bird_segmentation_mask.png")
        let iou = SegmentationTestSupport.iou(labels: result.labels, label: PascalVOCClasses.bird, mask: mask)
        print("segmentation: bird IoU full model (emulated uint8 activations) = \(String(format: "%.4f", iou))")
        XCTAssertGreaterThanOrEqual(iou, 0.88)
    }

    /// The issue's CRF check on real network output: on the shared image/mask pairs, the dense CRF (default
    /// parameters) does not lower the object's IoU (measured: bird 0.904 → 0.944 full model, 0.858 → 0.961 half).
    func testDenseCRFDoesNotLowerTheIoUOfDeepLabOutput() throws {
        for (model, file) in [(SegmentationTestSupport.fullModel, "full"), (SegmentationTestSupport.halfModel, "half")] {
            let image = try SegmentationTestSupport.image("images/bird_segmentation.png")
            let mask = try SegmentationTestSupport.image("masks/bird_segmentation_mask.png")
            let raw = try SegmentationTestSupport.segmenter(model, emulated: true).segment(image)
            let refined = SegmentationResult(width: raw.width, height: raw.height,
                                             probabilities: try DenseCRF.infer(probabilities: raw.probabilities, image: image))
            let labels = refined.labels
            let before = SegmentationTestSupport.iou(labels: raw.labels, label: PascalVOCClasses.bird, mask: mask)
            let after = SegmentationTestSupport.iou(labels: labels, label: PascalVOCClasses.bird, mask: mask)
            print("segmentation: bird IoU \(file) model without CRF \(String(format: "%.4f", before)), with CRF \(String(format: "%.4f", after))")
            XCTAssertGreaterThanOrEqual(after, before, "\(file) model: CRF \(after) vs network \(before)")
        }
    }

    func testBirdIoUHalfWidthModel() throws {
        let result = try segment("images/bird_segmentation.png", model: SegmentationTestSupport.halfModel)
        let mask = try SegmentationTestSupport.image("masks/bird_segmentation_mask.png")
        let iou = SegmentationTestSupport.iou(labels: result.labels, label: PascalVOCClasses.bird, mask: mask)
        print("segmentation: bird IoU half-width model (float) = \(String(format: "%.4f", iou))")
        // The reference interpreter reaches 0.837 with this model.
        XCTAssertGreaterThanOrEqual(iou, 0.80)
    }

    func testMajorityClassOfPeopleCatAndDog() throws {
        let expected = [("images/grace_hopper.png", PascalVOCClasses.person), ("images/squat.png", PascalVOCClasses.person),
                        ("images/cat.png", PascalVOCClasses.cat), ("images/dog_segmentation.png", PascalVOCClasses.dog)]
        for (image, label) in expected {
            let result = try segment(image)
            let majority = SegmentationTestSupport.majorityForegroundClass(result)
            print("segmentation: \(image) majority foreground class \(majority.map { PascalVOCClasses.names[$0] } ?? "none")")
            XCTAssertEqual(majority, label, image)
        }
    }

    func testResultGeometryProbabilitiesAndMatte() throws {
        let image = try SegmentationTestSupport.image("images/dog_segmentation.png")
        let result = try segment("images/dog_segmentation.png")
        XCTAssertEqual(result.width, image.width)
        XCTAssertEqual(result.height, image.height)
        XCTAssertEqual(result.classCount, 21)
        for i in stride(from: 0, to: result.labels.count, by: 97) {
            let column = (0..<21).map { result.probabilities[$0][i] }
            XCTAssertEqual(column.reduce(0, +), 1, accuracy: 1e-4)
            XCTAssertEqual(column.indices.max(by: { column[$0] < column[$1] }), Int(result.labels[i]))
        }
        let matte = result.foregroundMatte(classes: [PascalVOCClasses.dog])
        let mask = try SegmentationTestSupport.image("masks/dog_segmentation_mask.png")
        // The matte is high on the dog and low on the background (Oxford-Pet trimap: 0 pet, 1 background,
        // 2 border, which is left out).
        var inside = (sum: 0.0, n: 0), outside = (sum: 0.0, n: 0)
        for i in 0..<matte.count {
            switch SegmentationTestSupport.maskValue(mask, i) {
            case 0: inside.sum += Double(matte[i]); inside.n += 1
            case 1: outside.sum += Double(matte[i]); outside.n += 1
            default: break
            }
        }
        print("segmentation: dog matte mean on pet \(inside.sum / Double(max(1, inside.n))), on background \(outside.sum / Double(max(1, outside.n)))")
        XCTAssertGreaterThan(inside.sum / Double(max(1, inside.n)), 0.7)
        XCTAssertLessThan(outside.sum / Double(max(1, outside.n)), 0.3)
    }

    func testTinyGrayAndAlphaImagesAndEmptyImage() throws {
        let segmenter = try SegmentationTestSupport.segmenter(SegmentationTestSupport.halfModel)
        let one = try segmenter.segment(Image(width: 1, height: 1, channels: 3, repeating: 0.5))
        XCTAssertEqual(one.labels.count, 1)
        XCTAssertEqual((0..<21).map { one.probabilities[$0][0] }.reduce(0, +), 1, accuracy: 1e-4)
        let dog = try SegmentationTestSupport.image("images/dog_segmentation.png")
        let gray = Image(width: dog.width, height: dog.height, channels: 1,
                         pixels: (0..<dog.pixelCount).map { (dog.pixels[3 * $0] + dog.pixels[3 * $0 + 1] + dog.pixels[3 * $0 + 2]) / 3 })
        XCTAssertEqual(try segmenter.segment(gray).labels.count, dog.pixelCount)
        let rgba = dog.toRGBA()
        XCTAssertEqual(try segmenter.segment(rgba).labels, try segmenter.segment(dog).labels)
        XCTAssertThrowsError(try segmenter.segment(Image(width: 0, height: 0, channels: 3))) { error in
            XCTAssertTrue(error is ImagingError, "\(error)")
        }
    }

    func testInterpreterStopsAtTheLowResolutionScores() throws {
        let segmenter = try SegmentationTestSupport.segmenter(SegmentationTestSupport.fullModel)
        XCTAssertEqual(segmenter.interpreter.inputShape, [1, 513, 513, 3])
        XCTAssertEqual(segmenter.interpreter.outputShape(0), [1, 33, 33, 21])
        XCTAssertEqual(segmenter.classCount, 21)
        XCTAssertThrowsError(try segmenter.interpreter.run(input: [0, 1, 2])) { error in
            guard case TFLiteError.inputMismatch(_, let expected, let got) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(expected, [1, 513, 513, 3])
            XCTAssertEqual(got, 3)
        }
    }

    func testForwardTimeAt513() throws {
        // Timing is a benchmark (`stylefarm bench segment`); this prints the details on request.
        guard ProcessInfo.processInfo.environment["STYLEFARM_MEASURE_SEGMENTATION"] == "1" else {
            throw XCTSkip("set STYLEFARM_MEASURE_SEGMENTATION=1 to print segmentation timings (or run `stylefarm bench segment`)")
        }
        let segmenter = try SegmentationTestSupport.segmenter(SegmentationTestSupport.fullModel, emulated: true)
        let input = try segmenter.inputValues(for: try SegmentationTestSupport.image("images/bird_segmentation.png"))
        _ = try segmenter.interpreter.run(input: input)
        var best = Double.infinity
        for _ in 0..<10 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try segmenter.interpreter.run(input: input)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print("segmentation: DeepLab full forward at 513x513, \(EngineThreads.count) threads, default (emulated uint8 activations): best of 10 = \(String(format: "%.4f", best)) s")
        let plain = try SegmentationTestSupport.segmenter(SegmentationTestSupport.fullModel, emulated: false)
        _ = try plain.interpreter.run(input: input)
        var plainBest = Double.infinity
        for _ in 0..<10 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try plain.interpreter.run(input: input)
            plainBest = min(plainBest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print("segmentation: DeepLab full forward at 513x513, \(EngineThreads.count) threads, plain float (no emulated rounding): "
              + "best of 10 = \(String(format: "%.4f", plainBest)) s")
        // CPU time of a one-thread run: a steadier figure than wall time on a shared machine.
        EngineThreads.set(1)
        var cpuBest = Double.infinity
        for _ in 0..<5 {
            var t0 = timespec(), t1 = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0)
            _ = try segmenter.interpreter.run(input: input)
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1)
            cpuBest = min(cpuBest, Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9)
        }
        EngineThreads.set(2)
        print("segmentation: DeepLab full forward at 513x513, 1 thread: CPU time best of 5 = \(String(format: "%.4f", cpuBest)) s")
        var steps = [Double]()
        if let threads = ProcessInfo.processInfo.environment["STYLEFARM_SEGMENTATION_PROFILE_THREADS"].flatMap(Int.init) {
            EngineThreads.set(threads)
        }
        _ = try segmenter.interpreter.run(input: input, stepSeconds: &steps)
        _ = try segmenter.interpreter.run(input: input, stepSeconds: &steps)
        EngineThreads.set(2)
        var byKind = [String: Double]()
        for (name, t) in zip(segmenter.interpreter.stepNames, steps) {
            byKind[String(name.split(separator: " ")[0]), default: 0] += t
        }
        print("segmentation: profile by operator: " + byKind.sorted { $0.value > $1.value }
            .map { "\($0.key) \(String(format: "%.1f", $0.value * 1000)) ms" }.joined(separator: ", "))
        if ProcessInfo.processInfo.environment["STYLEFARM_SEGMENTATION_PROFILE"] != nil {
            for (name, t) in zip(segmenter.interpreter.stepNames, steps) { print(String(format: "%7.2f ms  ", t * 1000) + name) }
        }
    }
}

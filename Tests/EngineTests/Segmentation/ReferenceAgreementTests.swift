import Foundation
import XCTest
@testable import Engine

/// Agreement with Google's LiteRT reference interpreter (its integer reference kernels) on the shared
/// images. The committed fixtures (written by `tools/reference/tflite_reference.py`) hold the reference's
/// 513 × 513 label maps and a checksum of the uint8 input it was given; the Swift segmenter must feed the
/// same input and, at the model's resolution,
/// - give the same label on ≥ 98 % of the pixels of every image (the issue's bar; with emulated uint8
///   activations, the segmenter's default),
/// - reach a bird IoU (class 3, 513 × 513 ground truth) no more than 0.02 below the reference's. The check
///   is one-sided because the Swift result is sometimes better than the integer reference's.
/// - on the dog image (128 × 128, upscaled 4×: a wide uncertain boundary band), reach a dog IoU against
///   the Oxford-Pet trimap (border excluded) no more than 0.04 below the reference's. LiteRT's own kernel
///   sets disagree by about 0.02 here (full model: reference 0.945, optimized 0.963, XNNPACK 0.954;
///   half width: 0.931, 0.915, 0.923), and Swift lands at 0.931 (emulated) or 0.980 (plain float).
/// The per-class IoU between the Swift and the reference label maps is printed for every class covering at
/// least 1 % of the image and must be ≥ 0.95 for classes covering at least 5 % (small spurious regions such
/// as the half-width model's "sheep" patch on the dog image flip class as a whole; see docs/ARCHITECTURE.md).
final class SegmentationReferenceAgreementTests: XCTestCase {
    override func setUp() {
        EngineThreads.set(2)
    }

    private struct Fixture {
        let model: String
        let image: String
        let labels: String
        let inputChecksum: [Int]
    }

    private func fixtures(model key: String) throws -> [Fixture] {
        guard let url = Bundle.module.url(forResource: "manifest", withExtension: "json", subdirectory: "Fixtures/segmentation"),
              let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any],
              let list = json["fixtures"] as? [[String: Any]] else {
            throw XCTSkip("Fixtures/segmentation/manifest.json missing from the test bundle")
        }
        return list.compactMap { entry in
            guard entry["model"] as? String == key, let image = entry["image"] as? String,
                  let labels = entry["labels"] as? String, let checksum = entry["input_checksum"] as? [Int] else { return nil }
            return Fixture(model: key, image: image, labels: labels, inputChecksum: checksum)
        }
    }

    private func referenceLabels(_ file: String) throws -> [UInt8] {
        let name = (file as NSString).deletingPathExtension
        guard let url = Bundle.module.url(forResource: name, withExtension: "png", subdirectory: "Fixtures/segmentation") else {
            throw XCTSkip("fixture segmentation/\(file) missing from the test bundle")
        }
        let image = try ImageReader.read(path: url.path)
        return (0..<image.pixelCount).map { UInt8(SegmentationTestSupport.maskValue(image, $0)) }
    }

    /// IoU of `label` between two label maps (or a label map and a mask), skipping pixels where `ignore`.
    private func iou(_ a: [UInt8], _ b: [UInt8], label: Int, ignore: ((Int) -> Bool)? = nil) -> Double {
        var intersection = 0, union = 0
        for i in 0..<a.count where !(ignore?(i) ?? false) {
            let x = Int(a[i]) == label, y = Int(b[i]) == label
            if x && y { intersection += 1 }
            if x || y { union += 1 }
        }
        return union == 0 ? 1 : Double(intersection) / Double(union)
    }

    /// Nearest-neighbour sampling of a `size × size` label map at the pixel centres of a `w × h` frame.
    private func sample(_ labels: [UInt8], size: Int, width: Int, height: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            let sy = min(size - 1, Int((Double(y) + 0.5) * Double(size) / Double(height)))
            for x in 0..<width {
                let sx = min(size - 1, Int((Double(x) + 0.5) * Double(size) / Double(width)))
                out[y * width + x] = labels[sy * size + sx]
            }
        }
        return out
    }

    private func checkAgreement(modelKey: String, model: String, emulated: Bool, minimumAgreement: Double,
                                minimumClassIoU: Double = 0.95) throws {
        let segmenter = try SegmentationTestSupport.segmenter(model, emulated: emulated)
        let mode = emulated ? "emulated uint8 activations" : "plain float"
        let list = try fixtures(model: modelKey)
        XCTAssertEqual(list.count, 5)
        var worst = 1.0
        for fixture in list {
            let reference = try referenceLabels(fixture.labels)
            let image = try SegmentationTestSupport.image(fixture.image)

            // Same uint8 input as the reference run.
            let input = try segmenter.inputValues(for: image)
            var sum = 0, weighted = 0
            for (i, v) in input.enumerated() {
                let q = Int((v * 128 + 128).rounded())
                sum += q
                weighted += q * (i % 7 + 1)
            }
            XCTAssertEqual([sum, weighted], fixture.inputChecksum, "\(fixture.image): the input differs from the reference run's")

            let result = try segmenter.segment(image, width: segmenter.inputWidth, height: segmenter.inputHeight)
            let labels = result.labels
            XCTAssertEqual(reference.count, labels.count)
            guard reference.count == labels.count else { continue }
            let agreement = Double(zip(labels, reference).filter { $0 == $1 }.count) / Double(labels.count)
            worst = min(worst, agreement)
            var counts = [Int](repeating: 0, count: 256)
            for r in reference { counts[Int(r)] += 1 }
            var report = [String]()
            for c in 0..<21 where counts[c] * 100 >= reference.count {
                let value = iou(labels, reference, label: c)
                report.append("\(PascalVOCClasses.names[c])=\(String(format: "%.4f", value))")
                if counts[c] * 20 >= reference.count {
                    XCTAssertGreaterThanOrEqual(value, minimumClassIoU, "\(modelKey) \(fixture.image): class \(c) IoU vs the reference")
                }
            }
            print("segmentation: agreement with LiteRT, \(modelKey), \(mode), \(fixture.image): "
                  + "\(String(format: "%.4f", agreement)) of pixels; per-class IoU vs reference \(report.joined(separator: " "))")
            XCTAssertGreaterThanOrEqual(agreement, minimumAgreement, "\(modelKey) \(fixture.image)")

            // Ground truth where the shared data has it.
            if fixture.image.hasSuffix("bird_segmentation.png") {
                let mask = try SegmentationTestSupport.image("masks/bird_segmentation_mask.png")
                let truth = (0..<mask.pixelCount).map { UInt8(SegmentationTestSupport.maskValue(mask, $0)) }
                let swift = iou(labels, truth, label: PascalVOCClasses.bird), ref = iou(reference, truth, label: PascalVOCClasses.bird)
                print("segmentation: bird IoU vs ground truth, \(modelKey), \(mode): Swift \(String(format: "%.4f", swift)), "
                      + "LiteRT \(String(format: "%.4f", ref))")
                XCTAssertGreaterThanOrEqual(swift, ref - 0.02)
            }
            if fixture.image.hasSuffix("dog_segmentation.png") {
                let mask = try SegmentationTestSupport.image("masks/dog_segmentation_mask.png")
                // Trimap 0 (pet) → dog, 1 → background; 2 (border) is ignored.
                let trimap = (0..<mask.pixelCount).map { SegmentationTestSupport.maskValue(mask, $0) }
                let truth = trimap.map { UInt8($0 == 0 ? PascalVOCClasses.dog : 0) }
                let size = segmenter.inputWidth
                let swift = iou(sample(labels, size: size, width: mask.width, height: mask.height), truth,
                                label: PascalVOCClasses.dog, ignore: { trimap[$0] == 2 })
                let ref = iou(sample(reference, size: size, width: mask.width, height: mask.height), truth,
                              label: PascalVOCClasses.dog, ignore: { trimap[$0] == 2 })
                print("segmentation: dog IoU vs ground truth, \(modelKey), \(mode): Swift \(String(format: "%.4f", swift)), "
                      + "LiteRT \(String(format: "%.4f", ref))")
                XCTAssertGreaterThanOrEqual(swift, ref - 0.04)
            }
        }
        print("segmentation: agreement with LiteRT, \(modelKey), \(mode): worst image \(String(format: "%.4f", worst))")
    }

    func testFullModelAgreesWithReference() throws {
        try checkAgreement(modelKey: "deeplab", model: SegmentationTestSupport.fullModel, emulated: true, minimumAgreement: 0.98)
    }

    func testHalfWidthModelAgreesWithReference() throws {
        try checkAgreement(modelKey: "deeplab-small", model: SegmentationTestSupport.halfModel, emulated: true,
                           minimumAgreement: 0.98)
    }

    /// Plain float execution (no emulated activation rounding) agrees less on the smooth, 4× upscaled dog
    /// image (measured 0.978 full, 0.967 half width; dog IoU vs reference 0.94); a regression guard with lower
    /// bars, not the issue's.
    func testFullModelPlainFloatAgreesWithReference() throws {
        try checkAgreement(modelKey: "deeplab", model: SegmentationTestSupport.fullModel, emulated: false, minimumAgreement: 0.97,
                           minimumClassIoU: 0.93)
    }

    func testHalfWidthModelPlainFloatAgreesWithReference() throws {
        try checkAgreement(modelKey: "deeplab-small", model: SegmentationTestSupport.halfModel, emulated: false,
                           minimumAgreement: 0.96, minimumClassIoU: 0.93)
    }

    /// The reference's own bird IoU against the ground truth is the 0.903 / 0.837 the issue quotes: the
    /// fixtures come from the reference kernels.
    func testReferenceFixturesReproduceTheKnownBirdIoU() throws {
        let mask = try SegmentationTestSupport.image("masks/bird_segmentation_mask.png")
        for (key, expected) in [("deeplab", 0.903), ("deeplab-small", 0.837)] {
            let reference = try referenceLabels("\(key)_bird_segmentation.png")
            let value = SegmentationTestSupport.iou(labels: reference, label: PascalVOCClasses.bird, mask: mask)
            print("segmentation: reference (LiteRT) bird IoU \(key) = \(String(format: "%.4f", value))")
            XCTAssertEqual(value, expected, accuracy: 0.002, key)
        }
    }
}

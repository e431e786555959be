import Foundation
import XCTest
@testable import Engine
import TestSupport

/// Shared helpers of the segmentation tests: the DeepLab model files of the shared test data (loaded
/// once), images, masks and label statistics.
enum SegmentationTestSupport {
    static let fullModel = "models/deeplabv3_mnv2_pascal_quant.tflite"
    static let halfModel = "models/deeplabv3_mnv2_dm05_pascal_quant.tflite"

    private static let lock = NSLock()
    nonisolated(unsafe) private static var models = [String: TFLiteModel]()
    nonisolated(unsafe) private static var segmenters = [String: DeepLabSegmenter]()

    /// The parsed model (or a skip when the shared data is absent).
    static func model(_ relative: String) throws -> TFLiteModel {
        let url = try SharedTestData.url(relative)
        lock.lock(); defer { lock.unlock() }
        if let m = models[relative] { return m }
        let m = try TFLiteModel(contentsOf: url.path)
        models[relative] = m
        return m
    }

    /// A segmenter over the model (plain float execution unless `emulated`), built once per run.
    static func segmenter(_ relative: String, emulated: Bool = false) throws -> DeepLabSegmenter {
        let m = try model(relative)
        let key = relative + (emulated ? "#q" : "")
        lock.lock(); defer { lock.unlock() }
        if let s = segmenters[key] { return s }
        let s = try DeepLabSegmenter(model: m, options: .init(emulatesActivationQuantization: emulated))
        segmenters[key] = s
        return s
    }

    static func image(_ relative: String) throws -> Image {
        try ImageReader.read(path: try SharedTestData.url(relative).path)
    }

    /// The 8-bit value of a class-index mask at pixel `i` (the shared masks store class indices).
    static func maskValue(_ mask: Image, _ i: Int) -> Int {
        Int((mask.pixels[i * mask.channels] * 255).rounded())
    }

    /// Intersection over union of `labels == label` with `mask == label` (a class-index mask).
    static func iou(labels: [UInt8], label: Int, mask: Image) -> Double {
        precondition(labels.count == mask.pixelCount)
        var intersection = 0, union = 0
        for i in 0..<labels.count {
            let a = Int(labels[i]) == label, b = maskValue(mask, i) == label
            if a && b { intersection += 1 }
            if a || b { union += 1 }
        }
        return union == 0 ? 1 : Double(intersection) / Double(union)
    }

    /// The most frequent non-background label, or nil when every pixel is background.
    static func majorityForegroundClass(_ result: SegmentationResult) -> Int? {
        let histogram = result.labelHistogram
        guard let best = (1..<histogram.count).max(by: { histogram[$0] < histogram[$1] }), histogram[best] > 0 else {
            return nil
        }
        return best
    }
}

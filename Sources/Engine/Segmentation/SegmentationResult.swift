/// The per-pixel outcome of a semantic segmentation at the frame's resolution: soft class probabilities
/// and the most probable class of every pixel.
public struct SegmentationResult: Sendable {
    public let width: Int
    public let height: Int
    /// Number of classes (21 for PASCAL VOC: 0 background, 1 aeroplane … 15 person … 20 tv/monitor).
    public let classCount: Int
    /// The most probable class of each pixel, row-major (`labels[y * width + x]`).
    public let labels: [UInt8]
    /// `probabilities[class][y * width + x]`: softmax of the network's class scores; sums to 1 per pixel.
    public let probabilities: [[Float]]

    public init(width: Int, height: Int, classCount: Int, labels: [UInt8], probabilities: [[Float]]) {
        precondition(labels.count == width * height && probabilities.count == classCount
                     && probabilities.allSatisfy { $0.count == width * height }, "SegmentationResult: inconsistent sizes")
        self.width = width
        self.height = height
        self.classCount = classCount
        self.labels = labels
        self.probabilities = probabilities
    }

    /// The result of class probabilities alone (e.g. CRF-refined marginals): each pixel's label is its most
    /// probable class (the first on a tie).
    public init(width: Int, height: Int, probabilities: [[Float]]) {
        let pixels = width * height
        var labels = [UInt8](repeating: 0, count: pixels)
        var best = [Float](repeating: -.infinity, count: pixels)
        for (c, plane) in probabilities.enumerated() {
            for i in 0..<min(pixels, plane.count) where plane[i] > best[i] {
                best[i] = plane[i]
                labels[i] = UInt8(clamping: c)
            }
        }
        self.init(width: width, height: height, classCount: probabilities.count, labels: labels, probabilities: probabilities)
    }

    /// This result refined by the fully connected CRF (`DenseCRF.infer`) over `image` (the frame at this
    /// result's size): the CRF's marginals as probabilities, labels their argmax.
    public func refined(image: Image, parameters: DenseCRFParameters = DenseCRFParameters()) throws -> SegmentationResult {
        SegmentationResult(width: width, height: height,
                           probabilities: try DenseCRF.infer(probabilities: probabilities, image: image, parameters: parameters))
    }

    /// Per-pixel probability that the pixel belongs to any of `classes` (sum of their probabilities),
    /// in [0, 1], row-major. Classes outside `0..<classCount` are ignored.
    public func foregroundMatte(classes: Set<Int>) -> [Float] {
        var matte = [Float](repeating: 0, count: width * height)
        for c in classes.sorted() where c >= 0 && c < classCount {
            probabilities[c].withUnsafeBufferPointer { p in
                for i in 0..<matte.count { matte[i] += p[i] }
            }
        }
        for i in 0..<matte.count { matte[i] = min(matte[i], 1) }
        return matte
    }

    /// Number of pixels labelled with each class.
    public var labelHistogram: [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for l in labels where Int(l) < classCount { counts[Int(l)] += 1 }
        return counts
    }
}

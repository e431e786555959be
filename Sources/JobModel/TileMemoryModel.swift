import Engine

/// How much memory one stylization of an N-pixel image takes on a worker, and so how large a tile may
/// be (issue 7's default budget). A straight line fitted to the measured peak RSS of `stylefarm stylize`
/// (docs/BENCHMARKS.md, engine tables: VGG-16 751 MB at 256², 1323 MB at 512²; VGG-19 944 / 1553 MB):
/// a fixed part (the network's raw and transformed weights, the process) plus a per-pixel part (every
/// activation and its gradient kept for the backward pass, the L-BFGS history, the images).
/// Tile workers also hold the decoded full content frame (12 bytes a pixel at float RGB), which the
/// fixed part's margin covers up to 4K.
public enum TileMemoryModel {
    /// Memory one task may use when nothing better is known: the 3 GB per worker.
    public static let defaultTaskBytes = 3_000_000_000

    /// Bytes that do not grow with the image.
    public static func fixedBytes(_ network: VGGNetwork) -> Int {
        switch network {
        case .vgg16: return 650_000_000
        case .vgg19: return 850_000_000
        }
    }

    /// Bytes per pixel of the stylized image (rounded up from the fitted 2.9 / 3.1 KB).
    public static func bytesPerPixel(_ network: VGGNetwork) -> Int {
        switch network {
        case .vgg16: return 3_100
        case .vgg19: return 3_300
        }
    }

    /// The predicted peak of one stylization of `pixels` pixels.
    public static func peakBytes(pixels: Int, network: VGGNetwork) -> Int {
        fixedBytes(network) + pixels * bytesPerPixel(network)
    }

    /// The largest tile (padded pixels) whose stylization fits `memoryBytes`, at least 128².
    public static func maxTilePixels(memoryBytes: Int, network: VGGNetwork) -> Int {
        max(128 * 128, (memoryBytes - fixedBytes(network)) / bytesPerPixel(network))
    }

    /// The memory one task may use on a farm whose smallest worker has `workerMemory` bytes for `slots`
    /// concurrent tasks: half of its share (the rest is the OS, the coordinator, caches), at most
    /// `defaultTaskBytes`; `defaultTaskBytes` when no worker is known.
    public static func taskBytes(workerMemory: Int?, slots: Int) -> Int {
        guard let workerMemory, workerMemory > 0 else { return defaultTaskBytes }
        return min(defaultTaskBytes, workerMemory / max(1, slots) / 2)
    }
}

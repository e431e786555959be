import Coordinator
import Engine
import Foundation
import JobModel

/// The pictures of `bench temporal --figure DIR`: a sheet of each strategy's frames above their warp
/// residuals, and an animated side-by-side preview of two strategies.
enum TemporalFigure {
    /// |x_t − ω(x_{t−1})| on the certain pixels (DIS flow between the content frames at the stylized size,
    /// Ruder certainty), × `gain`, clamped: what `evaluate temporal` averages, as a picture (black = stable).
    static func residual(current: Image, previous: Image, contentCurrent: Image, contentPrevious: Image,
                         gain: Float = 4) throws -> Image {
        let w = current.width, h = current.height
        let pair = try FlowPair.dis(first: try contentPrevious.toRGB().resized(width: w, height: h),
                                    second: try contentCurrent.toRGB().resized(width: w, height: h), preset: .medium)
        let warped = try pair.warpIntoSecond(previous.toRGB())
        let certainty = try pair.certaintyOfSecond().weights
        let now = current.toRGB()
        var pixels = [Float](repeating: 0, count: w * h * 3)
        for p in 0..<(w * h) {
            for c in 0..<3 {
                pixels[p * 3 + c] = min(1, gain * certainty[p] * abs(now.pixels[p * 3 + c] - warped.pixels[p * 3 + c]))
            }
        }
        return Image(width: w, height: h, channels: 3, pixels: pixels)
    }

    /// Rows per strategy: its stylized frames `shown`, then their residuals against the frame before.
    static func sheet(strategies: [(name: String, pattern: PathPattern)], content: PathPattern, frames: [Int],
                      shown: [Int]) throws -> Image {
        var cells: [Image] = []
        for (_, pattern) in strategies {
            var stylized: [Image] = [], residuals: [Image] = []
            for frame in shown {
                guard let index = frames.firstIndex(of: frame), index > 0 else { continue }
                let previousFrame = frames[index - 1]
                let current = try ImageReader.read(path: pattern.path(for: frame))
                stylized.append(current)
                residuals.append(try residual(current: current, previous: try ImageReader.read(path: pattern.path(for: previousFrame)),
                                              contentCurrent: try ImageReader.read(path: content.path(for: frame)),
                                              contentPrevious: try ImageReader.read(path: content.path(for: previousFrame))))
            }
            cells += stylized + residuals
        }
        let columns = max(1, cells.count / max(1, 2 * strategies.count))
        return try ContactSheet.compose(cells, columns: columns, cellWidth: min(256, cells.first?.width ?? 128), gap: 4)
    }

    /// `left | right` per frame, as an APNG at `fps`.
    static func preview(left: PathPattern, right: PathPattern, frames: [Int], fps: Int, to path: String) throws {
        let images = try AnimateCommand.frames([left, right], range: frames, height: nil)
        try APNGEncoding.write(images, to: path, delay: (1, UInt16(clamping: max(1, fps))))
    }
}

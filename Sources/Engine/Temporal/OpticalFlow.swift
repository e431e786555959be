import COpticalFlow

/// Quality/speed presets of OpenCV's DIS (`cv::DISOpticalFlow::PRESET_*`).
public enum DISPreset: String, Sendable, CaseIterable {
    case ultrafast, fast, medium

    var code: Int32 {
        switch self {
        case .ultrafast: return Int32(SF_DIS_ULTRAFAST)
        case .fast: return Int32(SF_DIS_FAST)
        case .medium: return Int32(SF_DIS_MEDIUM)
        }
    }
}

/// Dense optical flow between two frames.
///
/// `dis` is OpenCV's Dense Inverse Search (Kroeger, Timofte, Dai & Van Gool, "Fast Optical Flow using
/// Dense Inverse Search", ECCV 2016) with its variational refinement, through the `COpticalFlow` C
/// interface (libopencv-video 4.6). Frames are converted to 8-bit gray (BT.601 luma, as OpenCV's
/// `COLOR_RGB2GRAY`) before the call.
public enum OpticalFlow {
    /// The largest frame accepted (pixels): bounds the buffers and keeps OpenCV's int sizes far from overflow.
    public static let maxPixels = 1 << 26

    /// Flow from `from` to `to`: pixel (x, y) of `from` is at (x + u, y + v) in `to`. Both images must
    /// have the same size and at least one pixel.
    public static func dis(from: Image, to: Image, preset: DISPreset = .medium) throws -> FlowField {
        guard from.width == to.width && from.height == to.height else {
            throw TemporalError.sizeMismatch(what: "the two frames", from.width, from.height, to.width, to.height)
        }
        guard from.pixelCount > 0 else { throw TemporalError.empty(what: "the frame") }
        guard from.pixelCount <= maxPixels else {
            throw TemporalError.tooLarge(what: "the frame", pixels: from.pixelCount, limit: maxPixels)
        }
        let a = gray8(from), b = gray8(to)
        let n = from.pixelCount
        var interleaved = [Float](repeating: 0, count: 2 * n)
        var message = [CChar](repeating: 0, count: 512)
        let status = a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                interleaved.withUnsafeMutableBufferPointer { fp in
                    message.withUnsafeMutableBufferPointer { mp in
                        sf_dis_flow(ap.baseAddress, bp.baseAddress, Int32(from.width), Int32(from.height),
                                    preset.code, fp.baseAddress, mp.baseAddress, Int32(mp.count))
                    }
                }
            }
        }
        guard status == SF_FLOW_OK else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw TemporalError.opticalFlowFailed(text.isEmpty ? "status \(status.rawValue)" : text)
        }
        var u = [Float](repeating: 0, count: n), v = [Float](repeating: 0, count: n)
        interleaved.withUnsafeBufferPointer { src in
            u.withUnsafeMutableBufferPointer { ub in
                v.withUnsafeMutableBufferPointer { vb in
                    for i in 0..<n { ub[i] = src[2 * i]; vb[i] = src[2 * i + 1] }
                }
            }
        }
        return FlowField(width: from.width, height: from.height, u: u, v: v)
    }

    /// Caps the threads OpenCV's parallel loops (DIS included) use, process-wide (`cv::setNumThreads`).
    /// Workers map their `--threads` onto it, so a flow computation does not take every core of a
    /// machine shared with other tasks. `n <= 0` restores OpenCV's default (one thread per core).
    public static func setThreads(_ n: Int) {
        sf_set_flow_threads(Int32(clamping: n))
    }

    /// The number of threads OpenCV's parallel loops currently use (`cv::getNumThreads`).
    public static var threads: Int { Int(sf_flow_threads()) }

    /// OpenCV's version (for benchmarks).
    public static var openCVVersion: String { String(cString: sf_opencv_version()) }

    /// 8-bit gray: the gray channel, or BT.601 luma 0.299 R + 0.587 G + 0.114 B, rounded (alpha ignored).
    static func gray8(_ image: Image) -> [UInt8] {
        let n = image.pixelCount, c = image.channels
        var out = [UInt8](repeating: 0, count: n)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    let p = i * c
                    let y = image.colorChannels >= 3
                        ? 0.299 * src[p] + 0.587 * src[p + 1] + 0.114 * src[p + 2]
                        : src[p]
                    dst[i] = UInt8(min(max(y * 255 + 0.5, 0), 255))
                }
            }
        }
        return out
    }
}

import Engine
import Foundation

/// Review movies of a frame sequence through Debian's `ffmpeg` (issue 20): H.264 in MP4 for anyone's player, ProRes
/// 422 HQ in QuickTime for editorial. Frames go to ffmpeg's standard input as 16-bit RGB, one at a time (nothing but
/// the current frame is held), and the movie is tagged as what it is — Rec.709 primaries and matrix, the sRGB
/// transfer function of the working space, limited range — so players show it as the frames look.
struct VideoEncoder {
    enum Codec: String, CaseIterable {
        case h264, prores

        /// The codec an output path's extension asks for: `.mp4` H.264, `.mov` ProRes; nil for others.
        init?(path: String) {
            switch (path as NSString).pathExtension.lowercased() {
            case "mp4", "m4v": self = .h264
            case "mov": self = .prores
            default: return nil
            }
        }

        /// ffmpeg's encoder arguments.
        var arguments: [String] {
            switch self {
            case .h264: return ["-c:v", "libx264", "-preset", "medium", "-crf", "16", "-pix_fmt", "yuv420p", "-movflags", "+faststart"]
            case .prores: return ["-c:v", "prores_ks", "-profile:v", "3", "-pix_fmt", "yuv422p10le", "-vendor", "apl0", "-movflags", "+write_colr"]
            }
        }
    }

    enum Failure: Error, CustomStringConvertible {
        case missingFFmpeg
        case ffmpegFailed(status: Int32, output: String)
        case sizeChanged(frame: Int, width: Int, height: Int, expected: (Int, Int))

        var description: String {
            switch self {
            case .missingFFmpeg:
                return "ffmpeg is not installed: MP4 and MOV previews are encoded by it (Debian: apt-get install ffmpeg); an APNG (--out x.png) needs nothing"
            case .ffmpegFailed(let status, let output):
                return "ffmpeg failed (exit \(status)): \(output.suffix(800))"
            case .sizeChanged(let frame, let width, let height, let expected):
                return "frame \(frame) is \(width)x\(height), the movie is \(expected.0)x\(expected.1)"
            }
        }
    }

    let path: String
    let codec: Codec
    let fps: Int
    let width: Int
    let height: Int
    private let process: Process
    private let input: FileHandle
    private let output: Pipe
    private var written = 0

    /// Starts ffmpeg writing `path` for frames of `width`×`height` (padded to even sizes for the chroma subsampling).
    init(path: String, codec: Codec, fps: Int, width: Int, height: Int, ffmpeg: String = "/usr/bin/ffmpeg") throws {
        guard FileManager.default.isExecutableFile(atPath: ffmpeg) else { throw Failure.missingFFmpeg }
        // A write into a pipe ffmpeg has closed must come back as an error, not end this process.
        signal(SIGPIPE, SIG_IGN)
        self.path = path; self.codec = codec; self.fps = fps; self.width = width; self.height = height
        process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = ["-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                             "-f", "rawvideo", "-pix_fmt", "rgb48le", "-s", "\(width)x\(height)", "-r", "\(fps)",
                             "-color_primaries", "bt709", "-color_trc", "iec61966-2-1", "-colorspace", "rgb", "-i", "pipe:0",
                             // setparams tags the frames themselves: ProRes records what its frames say.
                             "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2,scale=out_color_matrix=bt709:out_range=tv,"
                                 + "setparams=colorspace=bt709:color_primaries=bt709:color_trc=iec61966-2-1:range=tv",
                             "-color_primaries", "bt709", "-color_trc", "iec61966-2-1", "-colorspace", "bt709", "-color_range", "tv"]
            + codec.arguments + ["-r", "\(fps)", path]
        let stdin = Pipe()
        output = Pipe()
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input = stdin.fileHandleForWriting
    }

    /// Sends one frame (RGB in [0, 1], this movie's size) to ffmpeg.
    mutating func append(_ frame: Image) throws {
        guard frame.width == width, frame.height == height else {
            throw Failure.sizeChanged(frame: written + 1, width: frame.width, height: frame.height, expected: (width, height))
        }
        let rgb = frame.toRGB()
        var bytes = [UInt8](repeating: 0, count: rgb.pixels.count * 2)
        rgb.pixels.withUnsafeBufferPointer { p in
            for i in 0..<p.count {
                let v = UInt16((min(1, max(0, p[i])) * 65535).rounded())
                bytes[i * 2] = UInt8(v & 0xff); bytes[i * 2 + 1] = UInt8(v >> 8)
            }
        }
        do { try input.write(contentsOf: bytes) } catch {
            // ffmpeg stopped reading: its own message says why.
            try? input.close()
            process.waitUntilExit()
            throw Failure.ffmpegFailed(status: process.terminationStatus, output: String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
        written += 1
    }

    /// Closes ffmpeg's input and waits for the movie.
    func finish() throws {
        try input.close()
        let log = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure.ffmpegFailed(status: process.terminationStatus, output: String(decoding: log, as: UTF8.self))
        }
    }
}

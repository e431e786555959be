import Engine
import Foundation
import XCTest
import TestSupport

/// Issue 20's review previews: `stylefarm animate` writes H.264 MP4 and ProRes MOV through Debian's ffmpeg, plates
/// (OpenEXR, scene-linear) beside renders (PNG), tagged Rec.709 with the sRGB transfer function; `ffprobe` reads the
/// streams back and a frame decoded by ffmpeg has the colours the frames had.
final class AnimateVideoTests: XCTestCase {
    func testMP4AndMOVPreviewsOfAnOpenEXRAndAPNGSequence() throws {
        try SystemTool.require("ffmpeg", package: "ffmpeg")
        try SystemTool.require("ffprobe", package: "ffmpeg")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stylefarm-video-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Six frames, 45x30 (odd: the movie pads to even sizes): a flat colour that changes per frame. The plates are
        // linear and hold the colour the renders show in sRGB.
        for frame in 1...6 {
            let encoded: [Float] = [0.2 + 0.1 * Float(frame), 0.5, 0.8 - 0.1 * Float(frame)]
            let linear = encoded.map { Float(ColorSpace.decode(Double($0))) }
            try OpenEXR.write(Image(width: 45, height: 30, channels: 3, pixels: Array((0..<(45 * 30)).flatMap { _ in linear })),
                              to: directory.appendingPathComponent(String(format: "plate.%04d.exr", frame)).path, half: false)
            try ImageWriter.writePNG(Image(width: 45, height: 30, channels: 3, pixels: Array((0..<(45 * 30)).flatMap { _ in encoded })),
                                     to: directory.appendingPathComponent(String(format: "render.%04d.png", frame)).path, bitDepth: 16)
        }
        let plates = directory.appendingPathComponent("plate.####.exr").path, renders = directory.appendingPathComponent("render.####.png").path
        for (name, codec, pixelFormat) in [("review.mp4", "h264", "yuv420p"), ("review.mov", "prores", "yuv422p10le")] {
            let movie = directory.appendingPathComponent(name).path
            let made = try CLIRunner.run(["animate", "--left", plates, "--right", renders, "--frames", "1-6", "--out", movie,
                                          "--fps", "12", "--height", "30"])
            XCTAssertEqual(made.status, 0, made.stderr)
            let probe = try SystemTool.run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
                                                       "stream=codec_name,pix_fmt,width,height,nb_read_frames,color_transfer,color_primaries,color_space,r_frame_rate",
                                                       "-of", "json", movie])
            XCTAssertEqual(probe.status, 0, probe.output)
            let stream = try XCTUnwrap(((try JSONSerialization.jsonObject(with: Data(probe.output.utf8)) as? [String: Any])?["streams"] as? [[String: Any]])?.first,
                                       probe.output)
            XCTAssertEqual(stream["codec_name"] as? String, codec)
            XCTAssertEqual(stream["pix_fmt"] as? String, pixelFormat)
            XCTAssertEqual(stream["width"] as? Int, 94, "45 + 4 + 45, padded to even")
            XCTAssertEqual(stream["height"] as? Int, 30)
            XCTAssertEqual(stream["nb_read_frames"] as? String, "6")
            XCTAssertEqual(stream["r_frame_rate"] as? String, "12/1")
            XCTAssertEqual(stream["color_transfer"] as? String, "iec61966-2-1")
            XCTAssertEqual(stream["color_primaries"] as? String, "bt709")
            XCTAssertEqual(stream["color_space"] as? String, "bt709")

            // Frame 1 decoded by ffmpeg: the plate (left) and the render (right) both show the frame's sRGB colour.
            let still = directory.appendingPathComponent("\(name).png").path
            let decoded = try SystemTool.run("ffmpeg", ["-v", "error", "-y", "-i", movie, "-vf", "select=eq(n\\,0)", "-frames:v", "1",
                                                        "-pix_fmt", "rgb24", still])
            XCTAssertEqual(decoded.status, 0, decoded.output)
            let image = try ImageReader.read(path: still)
            let expected: [Float] = [0.3, 0.5, 0.7]
            for x in [10, 70] {
                let p = (15 * image.width + x) * image.channels
                for c in 0..<3 {
                    XCTAssertEqual(image.pixels[p + c], expected[c], accuracy: 4 / 255, "\(name) pixel x=\(x) channel \(c)")
                }
            }
        }
        let wrong = try CLIRunner.run(["animate", "--left", plates, "--frames", "1-6", "--out", directory.appendingPathComponent("x.gif").path])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.stderr.contains(".mp4 (H.264)"), wrong.stderr)
    }
}

import XCTest
@testable import Engine

/// `OpticalFlow.setThreads`: OpenCV's thread count follows it, and 0 restores the default.
final class OpticalFlowThreadsTests: XCTestCase {
    func testSetThreadsControlsOpenCV() throws {
        OpticalFlow.setThreads(0)
        let defaultThreads = OpticalFlow.threads
        defer { OpticalFlow.setThreads(0) }
        print("OpenCV \(OpticalFlow.openCVVersion): default \(defaultThreads) threads")
        OpticalFlow.setThreads(1)
        XCTAssertEqual(OpticalFlow.threads, 1)
        if defaultThreads >= 2 {
            // Without a parallel backend OpenCV always reports 1; otherwise the cap is taken as given.
            OpticalFlow.setThreads(2)
            XCTAssertEqual(OpticalFlow.threads, 2)
        }
        // Flow still works single-threaded.
        OpticalFlow.setThreads(1)
        // A smooth texture and the same moved by (+3, +2).
        func frame(_ k: Float) -> Image {
            let w = 32, h = 24
            var pixels = [Float](repeating: 0, count: w * h)
            for y in 0..<h {
                for x in 0..<w {
                    let xs = Float(x) - 3 * k, ys = Float(y) - 2 * k
                    pixels[y * w + x] = 0.5 + 0.2 * sin(0.31 * xs + 0.13 * ys) + 0.15 * cos(0.23 * ys - 0.19 * xs)
                        + 0.08 * sin(0.71 * xs) * cos(0.57 * ys)
                }
            }
            return Image(width: w, height: h, channels: 1, pixels: pixels)
        }
        let a = frame(0), b = frame(1)
        let flow = try OpticalFlow.dis(from: a, to: b, preset: .ultrafast)
        XCTAssertEqual(flow.u[12 * 32 + 16], 3, accuracy: 0.5)
        XCTAssertEqual(flow.v[12 * 32 + 16], 2, accuracy: 0.5)
        OpticalFlow.setThreads(-5)
        XCTAssertEqual(OpticalFlow.threads, defaultThreads)
    }
}

import XCTest
@testable import Engine
import TestSupport

final class ShotCutDetectorTests: XCTestCase {
    func testHistogramDistanceBounds() {
        let red = Image(width: 2, height: 2, channels: 3, pixels: [Float](repeating: 0, count: 12).enumerated().map { $0.offset % 3 == 0 ? 1 : 0 })
        let blue = Image(width: 2, height: 2, channels: 3, pixels: [Float](repeating: 0, count: 12).enumerated().map { $0.offset % 3 == 2 ? 1 : 0 })
        let h = ShotCutDetector.histogram(red)
        XCTAssertEqual(h.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(ShotCutDetector.distance(h, h), 0)
        XCTAssertEqual(ShotCutDetector.distance(h, ShotCutDetector.histogram(blue)), 1, accuracy: 1e-6)
    }

    /// Two real shots spliced together: Sintel's alley (frames 1–4) then DAVIS's black swan (frames 1–5).
    /// The only cut found is where the swan starts; within each shot, motion alone does not fire.
    func testFindsTheSpliceOfTwoRealShots() throws {
        var frames: [Image] = []
        for i in 1...4 {
            frames.append(try ImageReader.read(path: try SharedTestData.url(String(format: "sequences/sintel_alley_1_clean/frame_%04d.png", i)).path))
        }
        for i in 1...5 {
            frames.append(try ImageReader.read(path: try SharedTestData.url(String(format: "sequences/davis_blackswan/frame_%04d.jpg", i)).path))
        }
        let histograms = frames.map { ShotCutDetector.histogram($0) }
        let distances = ShotCutDetector.pairDistances(histograms)
        print("shot cuts: pair distances " + distances.map { String(format: "%.3f", $0) }.joined(separator: " "))
        XCTAssertEqual(ShotCutDetector().cuts(histograms: histograms), [4])
        XCTAssertEqual(ShotCutDetector().cuts(histograms: Array(histograms.suffix(5))), [], "one shot: no cut")
    }
}

@testable import Engine
import Foundation
import XCTest

/// Issue 20: StyleFarm's built-in colour conversions against an independent implementation, OpenColorIO (PyPI
/// `opencolorio`, its built-in ACES CG config), on a grid of values: the sRGB transfer function both ways and the
/// Rec.709 ⇄ ACEScg matrices, within 1e-5 (OpenColorIO computes in 32-bit floats). Skips without Python or PyPI.
final class ColorSpaceOCIOTests: XCTestCase {
    func testTheConversionsAgreeWithOpenColorIO() throws {
        let farm = try FarmProcesses()
        defer { farm.stopAll() }
        let python = try farm.python("stylefarm-ocio-venv", packages: ["opencolorio>=2.2,<3"], imports: "PyOpenColorIO")
        var values: [[Double]] = []
        for r in stride(from: 0.0, through: 1.0, by: 0.05) {
            for g in [0.0, 0.002, 0.04045, 0.18, 0.5, 0.95] { values.append([r, g, 1 - r]) }
        }
        for v in [1.5, 4.0, 16.0] { values.append([v, 0.25, v / 2]) }
        let input = farm.directory.appendingPathComponent("values.json")
        try JSONSerialization.data(withJSONObject: ["values": values]).write(to: input)
        let script = FarmProcesses.repository.appendingPathComponent("Tests/StylefarmTests/Python/ocio_convert.py").path
        let result = try farm.run("/bin/sh", ["-c", "\(python) \(script) < \(input.path)"], timeout: 120)
        XCTAssertEqual(result.status, 0, result.output)
        let answer = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
        func check(_ name: String, _ ours: ([Double]) -> (Double, Double, Double), inSRGBRange: Bool = false) throws {
            let theirs = try XCTUnwrap(answer[name] as? [[Double]], name)
            XCTAssertEqual(theirs.count, values.count)
            for (value, expected) in zip(values, theirs) {
                if inSRGBRange && value.contains(where: { $0 > 1 }) { continue }   // the sRGB texture space ends at 1
                let got = ours(value)
                for (a, b) in zip([got.0, got.1, got.2], expected) {
                    XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "\(name) of \(value): ours \(got), OpenColorIO \(expected)")
                }
            }
        }
        try check("srgb_to_linear", { (ColorSpace.decode($0[0]), ColorSpace.decode($0[1]), ColorSpace.decode($0[2])) }, inSRGBRange: true)
        try check("linear_to_srgb", { (ColorSpace.encode($0[0]), ColorSpace.encode($0[1]), ColorSpace.encode($0[2])) }, inSRGBRange: true)
        try check("rec709_to_acescg", { ColorSpace.apply(ColorSpace.rec709ToAP1, ($0[0], $0[1], $0[2])) })
        try check("acescg_to_rec709", { ColorSpace.apply(ColorSpace.ap1ToRec709, ($0[0], $0[1], $0[2])) })
        print("OpenColorIO \(answer["version"] ?? "?") agrees on \(values.count) values, four conversions")
    }
}

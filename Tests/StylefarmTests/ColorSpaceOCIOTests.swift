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

    /// The conversions StyleFarm bakes from a config with Debian's OpenColorIO 2.1 (serialized CTF, loaded as a worker
    /// loads it) against PyPI OpenColorIO's own processors on the same config (the built-in ACES CG config, written
    /// out by PyPI and read by Debian's library), both ways: within 1e-5 (relative above 1). The sRGB texture curve
    /// is the exception: PyPI's 2.6 evaluates it with a faster approximation (2.4e-5 off the closed form, ours
    /// 1e-5), so there both are also checked against the closed form (IEC 61966-2-1, in double precision).
    func testConversionsBakedFromAConfigAgreeWithOpenColorIO() throws {
        let farm = try FarmProcesses()
        defer { farm.stopAll() }
        let python = try farm.python("stylefarm-ocio-venv", packages: ["opencolorio>=2.2,<3"], imports: "PyOpenColorIO")
        var values: [[Double]] = []
        for r in stride(from: 0.0, through: 1.0, by: 0.1) {
            for g in [0.0, 0.002, 0.04045, 0.18, 0.5, 0.95] { values.append([r, g, 1 - r]) }
        }
        let wide = [[-0.05, 0.25, 0.5], [1.5, 0.25, 0.75], [4.0, 2.0, 8.0], [16.0, 12.0, 0.01]]
        values += wide
        let input = farm.directory.appendingPathComponent("values.json")
        try JSONSerialization.data(withJSONObject: ["values": values]).write(to: input)
        let config = farm.directory.appendingPathComponent("cg-config.ocio").path
        let script = FarmProcesses.repository.appendingPathComponent("Tests/StylefarmTests/Python/ocio_convert.py").path
        let result = try farm.run("/bin/sh", ["-c", "\(python) \(script) config \(config) < \(input.path)"], timeout: 120)
        XCTAssertEqual(result.status, 0, result.output)
        let answer = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
        var checked = 0
        for space in ["ACEScg", "ACES2065-1", "ACEScct", "compositing_log", "sRGB - Texture"] {
            let isSRGB = space == "sRGB - Texture", isLog = space == "ACEScct" || space == "compositing_log"
            guard case .ocio(let conversion) = try PlateColorSpace.named(space, config: config).baked() else {
                return XCTFail("\(space) did not bake")
            }
            XCTAssertLessThan(conversion.ctf.utf8.count, 4096, "\(space): an analytic conversion bakes small")
            for (direction, inverse) in [("to:", false), ("from:", true)] {
                let theirs = try XCTUnwrap(answer[direction + space] as? [[Any]], direction + space)
                // sRGB texture values end at 1; a log plate's values beyond 1 are far outside what it encodes.
                let inputs = values.enumerated().filter { (isSRGB || (isLog && !inverse)) ? $0.element.allSatisfy { (0...1).contains($0) } : true }
                var ours = inputs.flatMap { $0.element.map(Float.init) }
                try conversion.apply(&ours, inverse: inverse)
                for (k, (index, value)) in inputs.enumerated() {
                    for c in 0..<3 {
                        guard let expected = theirs[index][c] as? Double else { continue }   // null: not finite
                        let got = Double(ours[k * 3 + c])
                        let tolerance = (isSRGB ? 3e-5 : 1e-5) * max(1, abs(expected))
                        XCTAssertEqual(got, expected, accuracy: tolerance, "\(direction)\(space) of \(value): ours \(got), OpenColorIO \(expected)")
                        if isSRGB {
                            let exact = inverse ? ColorSpace.encode(value[c]) : ColorSpace.decode(value[c])
                            XCTAssertEqual(got, exact, accuracy: 1e-5, "\(direction)\(space) of \(value) against the closed form")
                        }
                        checked += 1
                    }
                }
            }
        }
        print("Debian OpenColorIO \(OpenColorIO.version) baked, PyPI OpenColorIO \(answer["version"] ?? "?") direct: \(checked) samples agree")
    }
}

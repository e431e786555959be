import Foundation
import XCTest
@testable import Engine

/// Issue 20: colour spaces of an OpenColorIO config, through Debian's OpenColorIO 2.1. A small config written here
/// (ACES2065-1 as its reference, ACEScg and linear Rec.709 by matrices from the standards' primaries, a gamma
/// display view, and a 1D LUT file) is baked into CTF text, loaded as a worker would load it, and must convert as
/// the built-in spaces do, both ways; bad configs, names and conversions give clear errors.
final class OpenColorIOTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("stylefarm-ocio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    /// A row-major 3×3 matrix as OCIO's 4×4 `matrix:` list.
    private func ocioMatrix(_ m: [Double]) -> String {
        let rows = (0..<3).map { r in (0..<3).map { String(m[r * 3 + $0]) } + ["0"] }.flatMap { $0 }
        return "[" + (rows + ["0", "0", "0", "1"]).joined(separator: ", ") + "]"
    }

    /// Writes the test config (and its LUT file); `interchange: false` leaves the aces_interchange role out.
    private func writeConfig(interchange: Bool = true) throws -> String {
        let ap1ToAP0 = ColorSpace.multiply(ColorSpace.inverse(ColorSpace.npm(ColorSpace.ap0)), ColorSpace.npm(ColorSpace.ap1))
        let rec709ToAP0 = ColorSpace.inverse(ColorSpace.ap0ToRec709)
        // A 1D LUT that halves (a "camera log" stand-in): its file must not be needed once baked.
        let lut = "Version 1\nFrom 0.0 1.0\nLength 5\nComponents 1\n{\n0\n0.125\n0.25\n0.375\n0.5\n}\n"
        try lut.write(to: directory.appendingPathComponent("half.spi1d"), atomically: true, encoding: .utf8)
        let config = """
        ocio_profile_version: 2.1
        search_path: "."
        strictparsing: true
        roles:
        \(interchange ? "  aces_interchange: ACES2065-1\n" : "")  scene_linear: ACEScg
          default: ACES2065-1
        displays:
          sRGB:
            - !<View> {name: Gamma, colorspace: gamma display}
        colorspaces:
          - !<ColorSpace>
            name: ACES2065-1
          - !<ColorSpace>
            name: ACEScg
            aliases: [lin_ap1_test]
            to_scene_reference: !<MatrixTransform> {matrix: \(ocioMatrix(ap1ToAP0))}
          - !<ColorSpace>
            name: Linear Rec.709
            to_scene_reference: !<MatrixTransform> {matrix: \(ocioMatrix(rec709ToAP0))}
          - !<ColorSpace>
            name: gamma display
            from_scene_reference: !<GroupTransform>
              children:
                - !<MatrixTransform> {matrix: \(ocioMatrix(ColorSpace.ap0ToRec709))}
                - !<ExponentTransform> {value: [2.2, 2.2, 2.2, 1], direction: inverse}
          - !<ColorSpace>
            name: halved
            to_scene_reference: !<GroupTransform>
              children:
                - !<FileTransform> {src: half.spi1d, interpolation: linear, direction: inverse}
                - !<MatrixTransform> {matrix: \(ocioMatrix(rec709ToAP0))}
        """
        let path = directory.appendingPathComponent(interchange ? "config.ocio" : "no-interchange.ocio").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testABakedConfigSpaceConvertsAsTheBuiltInOneBothWays() throws {
        let config = try writeConfig()
        let acescg = try XCTUnwrap(PlateColorSpace(name: "ACEScg", config: config)).baked()
        guard case .ocio(let conversion) = acescg else { return XCTFail("baked: \(acescg)") }
        XCTAssertTrue(conversion.ctf.contains("ProcessList"), "CTF text: \(conversion.ctf.prefix(200))")
        var values: [Float] = []
        for r in stride(from: -0.25, through: 20, by: 0.75) { values += [Float(r), 0.18, Float(r) / 3] }
        var ours = values, builtin = values
        try acescg.toWorking(&ours)
        try PlateColorSpace.acescg.toWorking(&builtin)
        for i in values.indices { XCTAssertEqual(ours[i], builtin[i], accuracy: 2e-6, "value \(values[i]) (\(i % 3))") }
        // Back: the inverse, for every value the working range holds (the clamp above takes the rest).
        var inRange: [Float] = stride(from: 0, through: 1, by: 0.01).flatMap { [Float($0), 0.5, 1 - Float($0)] }
        let original = inRange
        var back = inRange
        try acescg.fromWorking(&back)
        try PlateColorSpace.acescg.fromWorking(&inRange)
        for i in back.indices { XCTAssertEqual(back[i], inRange[i], accuracy: 1e-5 * max(1, abs(inRange[i]))) }
        try acescg.toWorking(&back)
        for i in back.indices { XCTAssertEqual(back[i], original[i], accuracy: 1e-5, "round trip of \(original[i])") }

        // Aliases and roles name spaces too; the baked text alone converts (the worker's side, through its cache).
        let role = try XCTUnwrap(PlateColorSpace(name: "scene_linear", config: config)).baked()
        let alias = try XCTUnwrap(PlateColorSpace(name: "lin_ap1_test", config: config)).baked()
        let peer = try OpenColorIO.Conversion.cached(name: "ACEScg", config: "", ctf: conversion.ctf)
        for space in [role, alias, .ocio(peer)] {
            var converted = values
            try space.toWorking(&converted)
            for i in values.indices { XCTAssertEqual(converted[i], ours[i], accuracy: 1e-6, "\(space)") }
        }
    }

    func testDisplayViewsAndLUTFilesBakeIntoSelfContainedText() throws {
        let config = try writeConfig()
        // sRGB/Gamma: a display-referred plate (gamma 2.2 of linear Rec.709): its inverse view gives linear Rec.709.
        let view = try XCTUnwrap(PlateColorSpace(name: "sRGB/Gamma", config: config)).baked()
        var encoded: [Float] = [0.5, 0.25, 1]
        try view.toWorking(&encoded)
        let expected = [0.5, 0.25, 1.0].map { PlateColorSpaceExpectations.working(linear: pow($0, 2.2)) }
        for i in 0..<3 { XCTAssertEqual(Double(encoded[i]), expected[i], accuracy: 1e-5) }

        // The LUT is inlined: the file can go.
        let halved = try XCTUnwrap(PlateColorSpace(name: "halved", config: config)).baked()
        try FileManager.default.removeItem(at: directory.appendingPathComponent("half.spi1d"))
        guard case .ocio(let conversion) = halved else { return XCTFail("\(halved)") }
        let loaded = try OpenColorIO.Conversion(name: "halved", config: "", ctf: conversion.ctf)
        var rgb: [Float] = [0.25, 0.125, 0.5]
        try loaded.apply(&rgb, inverse: false)
        XCTAssertEqual(rgb[0], 0.5, accuracy: 1e-4); XCTAssertEqual(rgb[1], 0.25, accuracy: 1e-4); XCTAssertEqual(rgb[2], 1, accuracy: 1e-4)
        try loaded.apply(&rgb, inverse: true)
        XCTAssertEqual(rgb[0], 0.25, accuracy: 1e-4)
    }

    func testBadConfigsNamesAndConversionsAreClearErrors() throws {
        let config = try writeConfig()
        XCTAssertThrowsError(try PlateColorSpace.named("Rec.2020", config: config).baked()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("Rec.2020") && text.contains("ACEScg") && text.contains("sRGB/Gamma"), text)
        }
        // A built-in name the config lacks is the built-in space (OpenColorIO matches names without case: `acescg`
        // is the config's ACEScg).
        XCTAssertEqual(try PlateColorSpace.named("linear-rec709", config: config).baked(), .linearRec709)
        XCTAssertNotEqual(try PlateColorSpace.named("acescg", config: config).baked(), .acescg)
        XCTAssertThrowsError(try PlateColorSpace.named("ACEScg", config: try writeConfig(interchange: false)).baked()) { error in
            XCTAssertEqual((error as? OpenColorIO.Failure)?.kind, .noInterchange, "\(error)")
            XCTAssertTrue("\(error)".contains("aces_interchange"), "\(error)")
        }
        XCTAssertThrowsError(try PlateColorSpace.named("ACEScg", config: directory.appendingPathComponent("missing.ocio").path).baked()) { error in
            XCTAssertEqual((error as? OpenColorIO.Failure)?.kind, .config, "\(error)")
        }
        let garbage = directory.appendingPathComponent("garbage.ocio").path
        try "ocio_profile_version: 2.1\ncolorspaces: [[[\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PlateColorSpace.named("ACEScg", config: garbage).baked()) { error in
            XCTAssertEqual((error as? OpenColorIO.Failure)?.kind, .config, "\(error)")
        }
        // What a peer sends is checked: garbage, truncation and emptiness are errors, never a crash.
        guard case .ocio(let good) = try PlateColorSpace.named("ACEScg", config: config).baked() else { return XCTFail() }
        for bad in ["", "not xml", String(good.ctf.prefix(good.ctf.count / 2)), "<?xml version=\"1.0\"?><ProcessList id=\"x\" compCLFversion=\"3\"><Matrix inBitDepth=\"32f\" outBitDepth=\"32f\"><Array dim=\"3 3\">1 2</Array></Matrix></ProcessList>"] {
            XCTAssertThrowsError(try OpenColorIO.Conversion(name: "x", config: "", ctf: bad), "\(bad.prefix(40))")
        }
        // Converting with a space that was never baked is an error, not a silent identity.
        var rgb: [Float] = [0.5, 0.5, 0.5]
        XCTAssertThrowsError(try PlateColorSpace.named("ACEScg", config: config).toWorking(&rgb))
    }

    func testAPlateReadThroughTheConfigComesBackAsItWas() throws {
        let config = try writeConfig()
        let space = try PlateColorSpace.named("ACEScg", config: config).baked()
        // Premultiplied RGBA with highlights (to 6.3) and a transparent pixel, as OpenEXR stores it; colours inside
        // the Rec.709 gamut (the working space has no negative values: those are clipped, built in or not).
        var pixels: [Float] = []
        for i in 0..<64 {
            let a: Float = i == 5 ? 0 : (i % 4 == 0 ? 0.5 : 1), v = 0.05 + Float(i) * 0.1
            pixels += [v * a, 0.8 * v * a, 0.9 * v * a, a]
        }
        let image = Image(width: 8, height: 8, channels: 4, pixels: pixels, bitDepth: 16)
        let bytes = try OpenEXR.encode(image, half: false, compression: .zip, name: "plate")
        let plate = try Plate.decode(bytes: bytes, name: "plate", colorSpace: space)
        let builtin = try Plate.decode(bytes: bytes, name: "plate", colorSpace: .acescg)
        for i in plate.working.pixels.indices { XCTAssertEqual(plate.working.pixels[i], builtin.working.pixels[i], accuracy: 2e-6) }
        // Nothing stylized: the plate's own values come back (to float precision; highlights below the roll-off's white).
        let out = try OpenEXR.decode(bytes: try plate.encode(plate.working, as: .exr(half: false, compression: .zip), name: "out"), name: "out").image
        for i in pixels.indices { XCTAssertEqual(out.pixels[i], pixels[i], accuracy: 2e-5 * max(1, abs(pixels[i])), "sample \(i)") }
    }
}

/// The built-in working-space encoding of a linear Rec.709 value (the roll-off, then sRGB), for expectations.
enum PlateColorSpaceExpectations {
    static func working(linear: Double) -> Double { ColorSpace.encode(HighlightRolloff.compress(linear)) }
}

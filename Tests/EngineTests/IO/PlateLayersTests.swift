import Foundation
import XCTest
@testable import Engine

/// Issue 20: an OpenEXR plate's other layers and header pass through a rewrite bit for bit; premultiplied alpha
/// goes out and back exactly; provenance is recorded in OpenEXR headers and PNG text and read back.
final class PlateLayersTests: XCTestCase {
    /// A 6×4 RGBA plate (premultiplied, with a transparent pixel that still carries light) plus a float `depth`
    /// layer and a header attribute, made with StyleFarm's own writer: replacing a layer that does not exist adds it.
    private func multilayerPlate() throws -> (bytes: [UInt8], rgba: Image, depth: Image) {
        var rgba = [Float](repeating: 0, count: 6 * 4 * 4)
        for p in 0..<24 {
            let a: Float = p == 0 ? 0 : (p == 1 ? 0.5 : 1)
            rgba[p * 4] = Float(p) / 8 * a; rgba[p * 4 + 1] = 0.25 * a; rgba[p * 4 + 2] = 3.5 * a; rgba[p * 4 + 3] = a
        }
        rgba[0] = 0.2  // light without coverage (a glow)
        let image = Image(width: 6, height: 4, channels: 4, pixels: rgba)
        let depth = Image(width: 6, height: 4, channels: 3, pixels: (0..<72).map { Float($0) * 1.0001 + 1e-3 })
        var bytes = try OpenEXR.encode(image, half: true, compression: .piz, attributes: ["studio/shot": "sf_010\n{\"json\": true}"])
        bytes = try OpenEXR.replacingLayer(in: bytes, layer: "depth", with: depth, half: false, compression: .piz)
        return (bytes, image, depth)
    }

    func testARewriteKeepsEveryOtherLayerAndTheHeader() throws {
        let plate = try multilayerPlate()
        XCTAssertEqual(try OpenEXR.channelNames(bytes: plate.bytes), ["A", "B", "G", "R", "depth.B", "depth.G", "depth.R"])
        let stylized = Image(width: 6, height: 4, channels: 4, pixels: (0..<96).map { Float($0 % 7) / 7 })
        let out = try OpenEXR.replacingLayer(in: plate.bytes, layer: nil, with: stylized, half: false, compression: .zip,
                                             attributes: ["stylefarm/job": "job-1"])
        XCTAssertEqual(try OpenEXR.channelNames(bytes: out), try OpenEXR.channelNames(bytes: plate.bytes))
        let depthBefore = try OpenEXR.readChannels(bytes: plate.bytes, names: ["depth.R", "depth.G", "depth.B"])
        let depthAfter = try OpenEXR.readChannels(bytes: out, names: ["depth.R", "depth.G", "depth.B"])
        XCTAssertEqual(depthAfter.pixels.map(\.bitPattern), depthBefore.pixels.map(\.bitPattern), "the depth layer bit for bit")
        XCTAssertEqual(depthAfter.pixels, plate.depth.pixels)
        let attributes = try OpenEXR.stringAttributes(bytes: out)
        XCTAssertEqual(attributes["studio/shot"], "sf_010\n{\"json\": true}")
        XCTAssertEqual(attributes["stylefarm/job"], "job-1")
        let decoded = try OpenEXR.decode(bytes: out)
        XCTAssertEqual(decoded.compression, .zip)
        XCTAssertFalse(decoded.half)
        XCTAssertEqual(decoded.image.pixels, stylized.pixels, "the replaced layer holds the new samples (float)")
        // A lossy compression that would change the kept float layer is refused, naming it.
        XCTAssertThrowsError(try OpenEXR.replacingLayer(in: plate.bytes, layer: nil, with: stylized, compression: .pxr24)) {
            XCTAssertTrue("\($0)".contains("depth."), "\($0)")
        }
        // Wrong sizes and NaN never reach the file.
        XCTAssertThrowsError(try OpenEXR.replacingLayer(in: plate.bytes, layer: nil, with: Image(width: 5, height: 4, channels: 4)))
        var samples = stylized.pixels
        samples[5] = .nan
        let bad = Image(width: 6, height: 4, channels: 4, pixels: samples)
        XCTAssertThrowsError(try OpenEXR.replacingLayer(in: plate.bytes, layer: nil, with: bad))
        XCTAssertThrowsError(try OpenEXR.readChannels(bytes: plate.bytes, names: ["Z"])) { XCTAssertTrue("\($0)".contains("Z"), "\($0)") }
    }

    /// What the network sees is unpremultiplied; the plate's own pixels come back premultiplied to float precision,
    /// and a transparent pixel keeps its light.
    func testAnUnchangedPlateComesBackExactly() throws {
        let plate = try multilayerPlate()
        let read = try Plate.decode(bytes: plate.bytes, name: "plate")
        XCTAssertEqual(read.working.pixels[1 * 3 + 2], read.working.pixels[2 * 3 + 2], accuracy: 1e-6,
                       "a half-covered pixel shows its real colour (3.5 rolled off), as an opaque one")
        let back = try OpenEXR.decode(bytes: try read.encode(read.working, as: .exr(half: false, compression: .zip), name: "out")).image
        let original = try OpenEXR.decode(bytes: plate.bytes).image  // the half samples as stored
        for i in original.pixels.indices {
            XCTAssertEqual(back.pixels[i], original.pixels[i], accuracy: 2e-6 * max(1, abs(original.pixels[i])), "sample \(i)")
        }
        XCTAssertEqual(back.pixels[0], original.pixels[0], accuracy: 1e-6, "the glow where alpha is 0")
        XCTAssertGreaterThan(back.pixels[0], 0.19)
        // PNG outputs are the working space.
        let png = try read.encode(read.working, as: .png(bitDepth: 16), name: "out.png")
        XCTAssertEqual(ImageFormat.detect(png), .png)
    }

    func testProvenanceIsReadBackFromOpenEXRAndPNG() throws {
        var provenance = Provenance()
        provenance[.job] = "job-7"
        provenance[.frame] = "1001"
        provenance[.parameters] = "{\"size\": 64}"
        let exr = try OpenEXR.encode(Image(width: 2, height: 2, channels: 3, repeating: 0.5), attributes: provenance.attributes)
        XCTAssertEqual(try Provenance.read(bytes: exr, name: "a.exr"), provenance)
        let plain = [UInt8](try ImageWriter.encodePNG(Image(width: 2, height: 2, channels: 3, repeating: 0.5)))
        let png = try PNGText.inserting(provenance.attributes.merging(["Software": "StyleFarm ü"]) { a, _ in a }, into: plain)
        XCTAssertEqual(try Provenance.read(bytes: png, name: "a.png"), provenance)
        XCTAssertEqual(try PNGText.read(png)["Software"], "StyleFarm ü")
        XCTAssertEqual(try ImageReader.decode(bytes: png).pixels, try ImageReader.decode(bytes: plain).pixels, "libpng still reads the image")
        XCTAssertEqual(try PNGText.removingText(from: png), plain, "the text taken out again: the encoded image as it was")
        XCTAssertThrowsError(try PNGText.inserting(["": "x"], into: png))
        XCTAssertThrowsError(try PNGText.inserting(["a\u{1}b": "x"], into: png))
        XCTAssertThrowsError(try Provenance.read(bytes: [0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0, 0], name: "x.gif"))
    }
}

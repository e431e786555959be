import Foundation
import XCTest
@testable import Engine

/// Issue 20: Cryptomatte decoding (Psyop's specification 1.2): MurmurHash3 and the ID conversion against published
/// values, names and globs, layer discovery and selection, and region masks from a real OpenEXR file's rank channels.
/// (Checked further against Python's `mmh3` and a numpy decoder on Blender 3.4 renders while it was written: 506
/// hash vectors, 312 names, the masks of every object of an 8-frame shot, maximum difference 0.)
final class CryptomatteTests: XCTestCase {
    func testHashesAndIDsMatchTheSpecification() {
        XCTAssertEqual(Cryptomatte.murmurHash3_32([]), 0)
        XCTAssertEqual(Cryptomatte.murmurHash3_32(Array("hello".utf8)), 0x248b_fa47)
        XCTAssertEqual(Cryptomatte.murmurHash3_32(Array("Hello, world!".utf8)), 0xc036_3e43)
        XCTAssertEqual(Cryptomatte.id(of: "torus"), -1.54943624832e+30 as Float, "the specification's example")
        XCTAssertEqual(Cryptomatte.id(of: "равнина"), -1.31926312124e-25 as Float, "UTF-8 names")
        // Exponents of all 0s or all 1s are flipped, so an ID is never denormal, infinite or NaN.
        XCTAssertEqual(Cryptomatte.float(fromHash: 0).bitPattern, 0x0080_0000)
        XCTAssertEqual(Cryptomatte.float(fromHash: 0x7f80_0000).bitPattern, 0x7f00_0000)
        // Blender 3.4's manifest for its own object names.
        XCTAssertEqual(Cryptomatte.hex(of: Cryptomatte.id(of: "Suzanne")), "cb432898")
        XCTAssertEqual(Cryptomatte.hex(of: Cryptomatte.id(of: "Cube")), "a8fce865")
        XCTAssertEqual(Cryptomatte.key(forLayerNamed: "ViewLayer.CryptoObject"), "542cafa")
    }

    func testGlobsAndNames() throws {
        XCTAssertTrue(Cryptomatte.glob("S*", matches: "Suzanne"))
        XCTAssertTrue(Cryptomatte.glob("?ube", matches: "Cube"))
        XCTAssertFalse(Cryptomatte.glob("?ube", matches: "Cubes"))
        XCTAssertTrue(Cryptomatte.glob("a\\*", matches: "a*"))
        let manifest: [String: Float] = ["Cube": 1, "Cube.001": 2, "Suzanne": 3]
        XCTAssertEqual(try Cryptomatte.ids(matching: "Cube*", in: manifest), [1, 2])
        XCTAssertThrowsError(try Cryptomatte.ids(matching: "Torus", in: manifest)) { XCTAssertTrue("\($0)".contains("Suzanne"), "\($0)") }
        XCTAssertThrowsError(try Cryptomatte.ids(matching: "T*", in: manifest))
    }

    /// A frame with a two-level CryptoObject (Suzanne covers the left half fully, and 0.25 of one column), written
    /// as OpenEXR with its manifest: the region masks come out soft and in the display window, names without regard
    /// to case, and errors list the manifest.
    func testRegionMasksFromAnOpenEXRFrame() throws {
        let (w, h) = (8, 4)
        let suzanne = Cryptomatte.id(of: "Suzanne"), ground = Cryptomatte.id(of: "Ground")
        var ranks = [Float](repeating: 0, count: w * h * 4)
        for y in 0..<h { for x in 0..<w {
            let p = (y * w + x) * 4
            if x < 4 { ranks[p] = suzanne; ranks[p + 1] = 1 }
            else if x == 4 { ranks[p] = ground; ranks[p + 1] = 0.75; ranks[p + 2] = suzanne; ranks[p + 3] = 0.25 }
            else { ranks[p] = ground; ranks[p + 1] = 1 }
        } }
        let manifest = "{\"Suzanne\":\"\(Cryptomatte.hex(of: suzanne))\",\"Ground\":\"\(Cryptomatte.hex(of: ground))\"}"
        var bytes = try OpenEXR.encode(Image(width: w, height: h, channels: 4, repeating: 0.5), half: true,
                                       attributes: ["cryptomatte/0a1b2c3/name": "CryptoObject", "cryptomatte/0a1b2c3/hash": "MurmurHash3_32",
                                                    "cryptomatte/0a1b2c3/conversion": "uint32_to_float32", "cryptomatte/0a1b2c3/manifest": manifest])
        bytes = try OpenEXR.replacingLayer(in: bytes, layer: "CryptoObject00", with: Image(width: w, height: h, channels: 4, pixels: ranks),
                                           half: false, compression: .zip)
        let masks = try RegionMasks.cryptomatte(exr: bytes, selector: "cryptomatte", names: ["suzanne", "g*", "background"], source: "f.exr")
        XCTAssertEqual(masks.names, ["suzanne", "g*"])
        let s = try XCTUnwrap(masks.mask(named: "suzanne")), g = try XCTUnwrap(masks.mask(named: "g*"))
        XCTAssertEqual(Array(s[0..<8]), [1, 1, 1, 1, 0.25, 0, 0, 0])
        XCTAssertEqual(Array(g[0..<8]), [0, 0, 0, 0, 0.75, 1, 1, 1])
        XCTAssertThrowsError(try RegionMasks.cryptomatte(exr: bytes, selector: "cryptomatte", names: ["torus"], source: "f.exr")) {
            XCTAssertTrue("\($0)".contains("Suzanne"), "the names there are: \($0)")
        }
        XCTAssertThrowsError(try RegionMasks.cryptomatte(exr: bytes, selector: "cryptomatte:CryptoMaterial", names: ["suzanne"], source: "f.exr"))
        let plain = try OpenEXR.encode(Image(width: w, height: h, channels: 3, repeating: 0.5))
        XCTAssertThrowsError(try RegionMasks.cryptomatte(exr: plain, selector: "cryptomatte", names: ["suzanne"], source: "p.exr"))
        XCTAssertEqual(try RegionSource(parsing: "Cryptomatte:CryptoMaterial"), .cryptomatte(layer: "CryptoMaterial"))
        XCTAssertEqual(RegionSource.cryptomatte(layer: nil).description, "cryptomatte")
    }

    /// A frame written by another implementation (PyPI `OpenEXR`, with Blender's names: `ViewLayer.CryptoObject00.r`…,
    /// lower case), kept as a fuzz seed: Suzanne covers the left half, and a quarter of each right-half pixel behind Cube.
    func testAFrameWrittenByAnotherImplementation() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus/images/exr-cryptomatte.exr")
        let bytes = [UInt8](try Data(contentsOf: file))
        let masks = try RegionMasks.cryptomatte(exr: bytes, selector: "cryptomatte:CryptoObject", names: ["Suzanne", "cube"], source: "seed")
        let suzanne = try XCTUnwrap(masks.mask(named: "suzanne")), cube = try XCTUnwrap(masks.mask(named: "cube"))
        XCTAssertEqual(Array(suzanne[0..<12]), [1, 1, 1, 1, 1, 1, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25])
        XCTAssertEqual(Array(cube[0..<12]), [0, 0, 0, 0, 0, 0, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75])
        XCTAssertEqual(try Provenance.read(bytes: bytes, name: "seed")[.job], "job-seed")
    }

    /// `NAME=none` regions are given back the content, softly at their edges.
    func testPhotorealRegionsAreTheContent() {
        let plan = RegionPlan(width: 2, height: 1, regions: [
            .init(name: "hero", mask: [1, 0.25], styleSet: nil),
            .init(name: "rest", mask: [0, 0.75], styleSet: 0),
        ])
        XCTAssertEqual(plan.photorealMask, [1, 0.25])
        let content = Image(width: 2, height: 1, channels: 3, pixels: [0.1, 0.2, 0.3, 1, 1, 1])
        let stylized = Image(width: 2, height: 1, channels: 3, pixels: [0.9, 0.9, 0.9, 0, 0, 0])
        XCTAssertEqual(plan.restoringPhotoreal(stylized, content: content).pixels, [0.1, 0.2, 0.3, 0.25, 0.25, 0.25])
        let styled = RegionPlan(width: 2, height: 1, regions: [.init(name: "rest", mask: [1, 1], styleSet: 0)])
        XCTAssertNil(styled.photorealMask)
        XCTAssertEqual(styled.restoringPhotoreal(stylized, content: content).pixels, stylized.pixels)
    }
}

import ArgumentParser
import Engine

/// How the commands that look at rendered sequences (`animate`, `evaluate temporal`) read a frame: PNG and JPEG as
/// they are (they are the working space), OpenEXR through a colour space and layer into the working space, as the
/// farm reads its plates and outputs.
struct FrameReader {
    var colorSpace: ColorSpace? = nil
    var layer: String? = nil

    init(colorSpace: ColorSpace? = nil, layer: String? = nil) {
        self.colorSpace = colorSpace
        self.layer = layer
    }

    /// From the `--input-colorspace` and `--layer` options.
    init(inputColorspace: String?, layer: String?) throws {
        self.init(colorSpace: try inputColorspace.map(ColorSpace.option), layer: layer)
    }

    func read(_ path: String) throws -> Image {
        let exr = Plate.writesEXR(path)
        return try Plate.read(path: path, colorSpace: exr ? colorSpace : nil, layer: exr ? layer : nil).working
    }
}

extension ColorSpace {
    /// The value of an `--input-colorspace` option, or a validation error listing the spaces StyleFarm converts.
    static func option(_ name: String) throws -> ColorSpace {
        guard let space = ColorSpace(name: name) else {
            throw ValidationError("--input-colorspace takes \(ColorSpace.allCases.map(\.rawValue).joined(separator: ", ")) (got \(name))")
        }
        return space
    }
}

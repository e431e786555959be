import ArgumentParser
import Engine
import Foundation
import JobModel

/// How the commands that look at rendered sequences (`animate`, `evaluate temporal`) read a frame: PNG and JPEG as
/// they are (they are the working space), OpenEXR through a colour space and layer into the working space, as the
/// farm reads its plates and outputs.
struct FrameReader {
    var colorSpace: PlateColorSpace? = nil
    var layer: String? = nil

    init(colorSpace: PlateColorSpace? = nil, layer: String? = nil) {
        self.colorSpace = colorSpace
        self.layer = layer
    }

    /// From the `--input-colorspace`, `--ocio-config` and `--layer` options.
    init(inputColorspace: String?, ocioConfig: String?, layer: String?) throws {
        self.init(colorSpace: try inputColorspace.map { try PlateColorSpace.option($0, config: ocioConfig) }, layer: layer)
    }

    func read(_ path: String) throws -> Image {
        let exr = Plate.writesEXR(path)
        return try Plate.read(path: path, colorSpace: exr ? colorSpace : nil, layer: exr ? layer : nil).working
    }
}

/// Where OpenColorIO tools look for their config: `$OCIO`.
enum OCIOEnvironment {
    /// `$OCIO` made absolute against the working directory, or nil when it is unset or empty.
    static var config: String? {
        guard let value = ProcessInfo.processInfo.environment["OCIO"], !value.isEmpty else { return nil }
        return PathNormalization.resolve(value, against: FileManager.default.currentDirectoryPath)
    }
}

extension PlateColorSpace {
    /// The value of an `--input-colorspace` option, baked from `--ocio-config` (or `$OCIO`) when there is one, or a
    /// validation error: the built-in spaces listed, or what OpenColorIO said (an unknown name lists the config's).
    static func option(_ name: String, config: String?) throws -> PlateColorSpace {
        let config = config.map { PathNormalization.resolve($0, against: FileManager.default.currentDirectoryPath) } ?? OCIOEnvironment.config
        guard let space = PlateColorSpace(name: name, config: config) else {
            throw ValidationError("--input-colorspace takes \(ColorSpace.allCases.map(\.rawValue).joined(separator: ", ")), or a colour space of an OpenColorIO config (--ocio-config or $OCIO) (got \(name))")
        }
        do { return try space.baked() } catch let failure as OpenColorIO.Failure { throw ValidationError("--input-colorspace \(name): \(failure)") }
    }
}

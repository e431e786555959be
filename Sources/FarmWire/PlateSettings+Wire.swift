import Engine
import JobModel
import Protocol

extension Stylefarm_V1_PlateOptions {
    /// The wire form of a job's plate settings (empty fields for the defaults).
    public init(_ plate: PlateSettings) {
        self.init()
        inputColorspace = plate.colorSpace?.rawValue ?? ""
        layer = plate.layer ?? ""
        exrCompression = plate.exrCompression == PlateSettings().exrCompression ? "" : plate.exrCompression.description
        exrFloat = !plate.exrHalf
    }
}

extension PlateSettings {
    /// The inverse of `Stylefarm_V1_PlateOptions.init(_:)`, checked: a value a peer sent that this build does not
    /// know is an `InvalidWireValue` naming it.
    public init(wire: Stylefarm_V1_PlateOptions) throws {
        self.init()
        if !wire.inputColorspace.isEmpty {
            guard let space = ColorSpace(name: wire.inputColorspace) else {
                throw InvalidWireValue("unknown input colour space \(String(wire.inputColorspace.prefix(80)).debugDescription)")
            }
            colorSpace = space
        }
        if !wire.layer.isEmpty {
            guard wire.layer.utf8.count <= 255, !wire.layer.contains(where: { $0.isNewline || $0 == "\0" }) else {
                throw InvalidWireValue("the OpenEXR layer name is not one line of at most 255 bytes")
            }
            layer = wire.layer
        }
        if !wire.exrCompression.isEmpty {
            guard let compression = OpenEXR.Compression(name: wire.exrCompression) else {
                throw InvalidWireValue("unknown OpenEXR compression \(String(wire.exrCompression.prefix(80)).debugDescription)")
            }
            exrCompression = compression
        }
        exrHalf = !wire.exrFloat
    }
}

/// The colour space a plate is in (issue 20): one StyleFarm converts itself (``ColorSpace``), or one of a studio's
/// OpenColorIO config — named (a job as submitted) or baked (``OpenColorIO/Conversion``, what renders use).
public enum PlateColorSpace: Sendable, Hashable, CustomStringConvertible {
    case builtin(ColorSpace)
    /// A colour space, role or `DISPLAY/VIEW` of the OpenColorIO config at `config`, not baked yet: ``baked()``
    /// turns it into ``ocio(_:)``; converting pixels before that is an error.
    case named(String, config: String)
    /// A conversion baked from an OpenColorIO config.
    case ocio(OpenColorIO.Conversion)

    public static let srgb = PlateColorSpace.builtin(.srgb)
    public static let linearRec709 = PlateColorSpace.builtin(.linearRec709)
    public static let acescg = PlateColorSpace.builtin(.acescg)

    /// A name as `--input-colorspace` takes it: with an OpenColorIO config, a name of that config (baked later; a
    /// built-in name the config lacks still means the built-in space); without one, a built-in space, or nil.
    public init?(name: String, config: String?) {
        if let config, !config.isEmpty {
            self = .named(name, config: config)
        } else if let space = ColorSpace(name: name) {
            self = .builtin(space)
        } else {
            return nil
        }
    }

    /// The name as the job gave it (a built-in space's canonical name).
    public var name: String {
        switch self {
        case .builtin(let space): space.rawValue
        case .named(let name, _): name
        case .ocio(let conversion): conversion.name
        }
    }

    /// The OpenColorIO config the space comes from, if any (empty when a baked conversion came from a peer).
    public var config: String? {
        switch self {
        case .builtin: nil
        case .named(_, let config): config
        case .ocio(let conversion): conversion.config
        }
    }

    public var description: String {
        switch self {
        case .builtin(let space): space.rawValue
        case .named(let name, let config): "\(name) (OpenColorIO config \(config))"
        case .ocio(let conversion): conversion.description
        }
    }

    /// Whether pixels in this space are the working space already (sRGB): nothing to convert.
    public var isWorkingSpace: Bool { self == .srgb }

    /// The space with its OpenColorIO conversion baked (``OpenColorIO/bake(space:config:)``); a built-in name the
    /// config does not know falls back to the built-in space. Built-in and baked spaces come back as they are.
    public func baked() throws -> PlateColorSpace {
        guard case .named(let name, let config) = self else { return self }
        do {
            return .ocio(try OpenColorIO.bake(space: name, config: config))
        } catch let failure as OpenColorIO.Failure where failure.kind == .unknownSpace {
            guard let space = ColorSpace(name: name) else { throw failure }
            return .builtin(space)
        }
    }

    /// Unpremultiplied RGB triples of this space in working space, in place (clamped to [0, 1] as the network takes
    /// them). Built-in spaces convert per pixel in double precision (``ColorSpace/toWorking(_:)``); OpenColorIO
    /// converts to linear Rec.709 first, then takes the same path.
    public func toWorking(_ rgb: inout [Float]) throws {
        let space: ColorSpace
        switch self {
        case .builtin(let builtin): space = builtin
        case .named: throw unbaked
        case .ocio(let conversion):
            try conversion.apply(&rgb, inverse: false)
            space = .linearRec709
        }
        rgb.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count / 3 {
                let w = space.toWorking((Double(p[i * 3]), Double(p[i * 3 + 1]), Double(p[i * 3 + 2])))
                p[i * 3] = Float(min(1, max(0, w.0))); p[i * 3 + 1] = Float(min(1, max(0, w.1))); p[i * 3 + 2] = Float(min(1, max(0, w.2)))
            }
        }
    }

    /// Working-space RGB triples back in this space, in place: the inverse of ``toWorking(_:)`` (before clamping).
    public func fromWorking(_ rgb: inout [Float]) throws {
        let space: ColorSpace
        switch self {
        case .builtin(let builtin): space = builtin
        case .named: throw unbaked
        case .ocio: space = .linearRec709
        }
        rgb.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count / 3 {
                let l = space.fromWorking((Double(p[i * 3]), Double(p[i * 3 + 1]), Double(p[i * 3 + 2])))
                p[i * 3] = Float(l.0); p[i * 3 + 1] = Float(l.1); p[i * 3 + 2] = Float(l.2)
            }
        }
        if case .ocio(let conversion) = self { try conversion.apply(&rgb, inverse: true) }
    }

    private var unbaked: OpenColorIO.Failure {
        OpenColorIO.Failure(kind: .transform, message: "colour space \(description) was not baked before use (PlateColorSpace.baked())")
    }
}

import Engine

/// How a job's plates are read and its OpenEXR outputs written (issue 20; docs/JOBS.md "Plates and colour").
public struct PlateSettings: Sendable, Hashable {
    /// The plates' colour space; nil: by file type (OpenEXR linear Rec.709, PNG and JPEG sRGB). A space of an
    /// OpenColorIO config is ``PlateColorSpace/named(_:config:)`` in a job as resolved and baked at submission
    /// (``baked()``), after the config's path has passed the coordinator's path policy.
    public var colorSpace: PlateColorSpace?
    /// The OpenEXR layer stylized; nil: the unnamed one (R, G, B, A).
    public var layer: String?
    /// OpenEXR outputs: half (default) or 32-bit float samples, and the compression.
    public var exrHalf: Bool
    public var exrCompression: OpenEXR.Compression

    public init(colorSpace: PlateColorSpace? = nil, layer: String? = nil, exrHalf: Bool = true, exrCompression: OpenEXR.Compression = .zip) {
        self.colorSpace = colorSpace; self.layer = layer; self.exrHalf = exrHalf; self.exrCompression = exrCompression
    }
}

extension PlateSettings {
    /// The colour space of the job's OpenEXR outputs: the plates' own when it is scene-linear, else linear Rec.709
    /// (``Plate/exrColorSpace``).
    public var outputColorSpace: PlateColorSpace { colorSpace.flatMap { $0.isWorkingSpace ? nil : $0 } ?? .linearRec709 }

    /// These settings with an OpenColorIO colour space baked (``PlateColorSpace/baked()``): reads the config.
    public func baked() throws -> PlateSettings {
        var plate = self
        plate.colorSpace = try colorSpace?.baked()
        return plate
    }

    /// A content frame (or a style image) in working space: its colour space and layer as this job says.
    public func readContent(bytes: [UInt8], name: String, limits: ImageLimits = .default) throws -> Plate {
        try Plate.decode(bytes: bytes, name: name, colorSpace: colorSpace, layer: layer, limits: limits)
    }

    /// A frame this job rendered, in working space: an OpenEXR output goes back from ``outputColorSpace`` (its alpha
    /// divided out again); a PNG — an intermediate or a PNG output — is the working space already.
    public func readResult(bytes: [UInt8], name: String, limits: ImageLimits = .default) throws -> Image {
        guard ImageFormat.detect(bytes) == .openEXR else { return try ImageReader.decode(bytes: bytes, name: name, limits: limits) }
        return try Plate.decode(bytes: bytes, name: name, colorSpace: outputColorSpace, layer: layer, limits: limits).working
    }

    /// ``readResult(bytes:name:limits:)`` of the file at `path`.
    public func readResult(path: String, limits: ImageLimits = .default) throws -> Image {
        try readResult(bytes: try FileBytes.readFile(path: path, maxBytes: max(0, limits.maxFileBytes)), name: path, limits: limits)
    }
}

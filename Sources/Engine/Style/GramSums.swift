/// Un-normalized Gram matrices of part of a style image: per layer, Σ F·Fᵀ over some feature positions
/// and how many positions were summed. A Gram matrix is a sum over positions (Gatys et al. 2016, eq. 3),
/// so the Gram matrix of a whole image is the sum of its parts' `sums` divided by the sum of their
/// `positions` — whichever machine computed each part. The farm splits a large style image's targets
/// into parts this way (one task per group of cores), and `StyleTargets.tiledGrams` is all parts at once.
///
/// Parts are cores of a `core` × `core` grid over the image, numbered in raster order
/// (`coreGrid(width:height:core:)`); each core is run through the network with a halo of the deepest
/// layer's receptive-field margin rounded up to 16 px, so its activations equal the whole image's.
public struct GramSums: Sendable, Equatable {
    public struct Layer: Sendable, Equatable {
        /// Activation name, e.g. `relu3_1`.
        public var name: String
        /// Channel count C; `sums` is C×C row-major.
        public var channels: Int
        /// Feature positions (H_l·W_l summed over the parts) behind `sums`.
        public var positions: Int
        /// Σ over those positions of F·Fᵀ, in double precision so parts add without loss.
        public var sums: [Double]

        public init(name: String, channels: Int, positions: Int, sums: [Double]) {
            self.name = name; self.channels = channels; self.positions = positions; self.sums = sums
        }
    }

    public var layers: [Layer]

    public init(layers: [Layer]) { self.layers = layers }

    /// Columns and rows of the grid of `core`-pixel cores over a `width` × `height` image.
    public static func coreGrid(width: Int, height: Int, core: Int) -> (columns: Int, rows: Int) {
        ((width + core - 1) / core, (height + core - 1) / core)
    }

    /// The core side that makes a `width` × `height` image one core (the whole image in one pass).
    public static func wholeImageCore(width: Int, height: Int) -> Int { (max(width, height) + 15) / 16 * 16 }

    /// The core side for summing a `width` × `height` image: `core` when it has more than `passPixels`
    /// pixels, else the whole image in one pass (`wholeImageCore`).
    public static func core(width: Int, height: Int, passPixels: Int, core: Int) -> Int {
        width * height > passPixels ? core : wholeImageCore(width: width, height: height)
    }

    /// The parts of at most `perPart` cores, in raster order, that cover the `core`-pixel grid over the image.
    public static func parts(width: Int, height: Int, core: Int, perPart: Int) -> [Range<Int>] {
        let grid = coreGrid(width: width, height: height, core: core)
        let cores = grid.columns * grid.rows
        return stride(from: 0, to: cores, by: perPart).map { $0 ..< min($0 + perPart, cores) }
    }

    /// The sums of `style` (a VGG tensor) at `layerNames` over the cores `cores` (raster order) of its
    /// `core`-pixel grid. With `wholeImageCore` (one core) the result divided by its positions is bit for
    /// bit `Gram.compute` of the whole image's features. `shouldStop` is asked between cores.
    public static func compute(vgg: VGG, style: Tensor, layerNames: [String], core: Int, cores: Range<Int>,
                               shouldStop: () -> Bool = { false }) throws -> GramSums {
        precondition(core > 0 && core % 16 == 0, "the tile core must be a positive multiple of 16")
        let indices = try layerNames.map { try vgg.layerIndex($0) }
        let margin = try ReceptiveField.margin(forDeepestOf: layerNames, network: vgg.network)
        let halo = (margin + 15) / 16 * 16
        let strides = try layerNames.map { try ReceptiveField.of(layer: $0, network: vgg.network).stride }
        guard let deepest = indices.max() else { return GramSums(layers: []) }
        let (width, height) = (style.width, style.height)
        let grid = coreGrid(width: width, height: height, core: core)
        precondition(cores.lowerBound >= 0 && cores.upperBound <= grid.columns * grid.rows, "cores outside the grid")
        var layers = layerNames.map { Layer(name: $0, channels: 0, positions: 0, sums: []) }
        var tape = VGGTape()
        for coreIndex in cores {
            if shouldStop() { break }
            let x0 = (coreIndex % grid.columns) * core, y0 = (coreIndex / grid.columns) * core
            let x1 = min(width, x0 + core), y1 = min(height, y0 + core)
            let px0 = max(0, x0 - halo), py0 = max(0, y0 - halo)
            let px1 = min(width, x1 + halo), py1 = min(height, y1 + halo)
            let input = px0 == 0 && py0 == 0 && px1 == width && py1 == height
                ? style : style.cropped(x: px0, y: py0, width: px1 - px0, height: py1 - py0)
            vgg.forward(input, through: deepest, tape: &tape)
            for (n, index) in indices.enumerated() {
                let features = tape.outputs[index], j = strides[n]
                // The core in this layer's positions (the tile starts on a multiple of 16 ≥ j; a core that
                // ends at the image's edge ends at the tile's last position).
                let fx0 = (x0 - px0) / j, fy0 = (y0 - py0) / j
                let fx1 = x1 == width ? features.width : (x1 - px0) / j
                let fy1 = y1 == height ? features.height : (y1 - py0) / j
                guard fx1 > fx0, fy1 > fy0 else { continue }
                let whole = fx0 == 0 && fy0 == 0 && fx1 == features.width && fy1 == features.height
                let part = whole ? features : features.cropped(x: fx0, y: fy0, width: fx1 - fx0, height: fy1 - fy0)
                let count = part.planeSize
                let gram = Gram.compute(part)  // divided by this part's positions: undo it
                if layers[n].sums.isEmpty {
                    layers[n].channels = part.channels
                    layers[n].sums = [Double](repeating: 0, count: gram.count)
                }
                gram.withUnsafeBufferPointer { g in
                    layers[n].sums.withUnsafeMutableBufferPointer { s in
                        for i in 0..<g.count { s[i] += Double(g[i]) * Double(count) }
                    }
                }
                layers[n].positions += count
            }
        }
        return GramSums(layers: layers)
    }

    /// Adds `other` (the sums of other cores of the same image and layers) into these.
    public mutating func add(_ other: GramSums) throws {
        guard other.layers.map(\.name) == layers.map(\.name) else {
            throw GramSumsError.layerMismatch(layers.map(\.name), other.layers.map(\.name))
        }
        for n in layers.indices {
            let o = other.layers[n]
            if o.positions == 0 { continue }
            if layers[n].positions == 0 { layers[n] = o; continue }
            guard o.channels == layers[n].channels, o.sums.count == layers[n].sums.count else {
                throw GramSumsError.channelMismatch(layer: o.name, layers[n].channels, o.channels)
            }
            for i in 0..<o.sums.count { layers[n].sums[i] += o.sums[i] }
            layers[n].positions += o.positions
        }
    }

    /// The Gram matrices G_l = Σ F·Fᵀ / positions, one per layer, in layer order. Throws when a layer has
    /// no positions (the parts did not cover the image).
    public func grams() throws -> [[Float]] {
        try layers.map { layer in
            guard layer.positions > 0 else { throw GramSumsError.empty(layer: layer.name) }
            let count = Double(layer.positions)
            return layer.sums.map { Float($0 / count) }
        }
    }
}

/// Why Gram sums could not be combined.
public enum GramSumsError: Error, Equatable, Sendable, CustomStringConvertible {
    case layerMismatch([String], [String])
    case channelMismatch(layer: String, Int, Int)
    case empty(layer: String)

    public var description: String {
        switch self {
        case .layerMismatch(let a, let b): return "Gram sums of layers \(a) and \(b) cannot be added"
        case .channelMismatch(let layer, let a, let b): return "Gram sums of \(layer) have \(a) and \(b) channels"
        case .empty(let layer): return "no positions were summed for \(layer): a part of the style image is missing"
        }
    }
}

extension StyleTargets {
    /// The blend Σ_k w_k·G_l(style_k) of whole images' Gram sums, in the same float operations as
    /// `compute(vgg:styles:blendWeights:layerNames:)`, so targets combined from a farm's parts equal the
    /// ones computed in one place (up to the order the parts' double sums were added).
    public init(blending styles: [GramSums], weights: [Float]) throws {
        precondition(styles.count == weights.count, "one blend weight per style")
        var layers: [Layer] = []
        for (sums, weight) in zip(styles, weights) {
            for (n, gram) in try sums.grams().enumerated() {
                Self.blend(gram, weight: weight, into: &layers, at: n, name: sums.layers[n].name, channels: sums.layers[n].channels)
            }
        }
        self.init(layers: layers)
    }
}

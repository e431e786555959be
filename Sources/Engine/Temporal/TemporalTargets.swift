/// The temporal terms of one frame's stylization (Ruder, Dosovitskiy & Brox, "Artistic style transfer for
/// videos", GCPR 2016): earlier frames' stylized results warped into this frame, each with its per-pixel
/// certainty, the weight γ, and whether to start from the warped result.
public struct TemporalTargets: Sendable {
    public struct Target: Sendable {
        /// An earlier frame's result warped into this frame (`Warp.backward`), RGB, any size (scaled to
        /// each scale of the run).
        public var warped: Image
        /// One weight in [0, 1] per pixel of `warped` (`FlowCertainty.weights`, or the long-term weights).
        public var certainty: [Float]

        public init(warped: Image, certainty: [Float]) {
            precondition(certainty.count == warped.pixelCount, "TemporalTargets: one certainty per pixel")
            self.warped = warped
            self.certainty = certainty
        }
    }

    /// Closest frame first (the short-term loss is the single target t−1).
    public var targets: [Target]
    /// γ of `TemporalLoss` (default: Ruder's balance to the content weight, `TemporalLoss.defaultWeight`).
    public var weight: Float
    /// Start the optimization from the closest warped result where it is certain (the content image — or
    /// the configured initialization — where it is not): Ruder et al.'s warped initialization.
    public var initializeFromWarped: Bool
    /// Start the optimization from this image, e.g. this frame's result from the previous sweep of a
    /// multi-pass run (Ruder et al. §3.4, usually `blendedInitialization`); overrides
    /// `initializeFromWarped`. RGB (gray is converted), any size: it is resized to the first scale.
    public var initialImage: Image?

    public init(targets: [Target], weight: Float, initializeFromWarped: Bool = true, initialImage: Image? = nil) {
        self.targets = targets
        self.weight = weight
        self.initializeFromWarped = initializeFromWarped
        self.initialImage = initialImage
    }

    /// The multi-pass initialization of Ruder et al. (2016, section 3.4), generalised from the one
    /// neighbour of a directional sweep to any number (both neighbours of a Jacobi-style pass): per pixel
    /// and channel,
    ///
    ///   x' = own + δ · Σ_n c_n (w_n − own) / max(1, Σ_n c_n),
    ///
    /// with `own` this frame's previous-pass result, w_n the neighbours' results warped into this frame
    /// and c_n their certainties; δ = `strength` (Ruder's blend factor, 0.5). With one neighbour this is
    /// Ruder's x' = (1 − δc)·own + δc·w; where the neighbours are certain together they are averaged, where
    /// none is certain `own` is kept. `own` and every neighbour's `warped` must have the same size and
    /// channel count (programming error otherwise: the caller warps them onto one grid).
    public static func blendedInitialization(own: Image, neighbours: [Target], strength: Float = 0.5) -> Image {
        let n = own.pixelCount, channels = own.channels
        for neighbour in neighbours {
            precondition(neighbour.warped.width == own.width && neighbour.warped.height == own.height
                         && neighbour.warped.channels == channels,
                         "TemporalTargets.blendedInitialization: neighbours must match the own image's size and channels")
        }
        guard !neighbours.isEmpty else { return own }
        var out = own.pixels
        for p in 0..<n {
            var certaintySum: Float = 0
            for neighbour in neighbours { certaintySum += neighbour.certainty[p] }
            guard certaintySum > 0 else { continue }
            let scale = strength / max(1, certaintySum)
            for c in 0..<channels {
                let i = p * channels + c
                let base = own.pixels[i]
                var pull: Float = 0
                for neighbour in neighbours { pull += neighbour.certainty[p] * (neighbour.warped.pixels[i] - base) }
                out[i] = base + scale * pull
            }
        }
        return Image(width: own.width, height: own.height, channels: channels, pixels: out, bitDepth: own.bitDepth)
    }

    /// Ruder et al.'s long-term weights ("closest first", section 3.3): frame t−j counts only where no closer
    /// frame was certain, c_long,j = max(c_j − Σ_{k<j} c_k, 0). `certainties` are closest first.
    public static func closestFirst(_ certainties: [[Float]]) -> [[Float]] {
        guard let n = certainties.first?.count else { return [] }
        var covered = [Float](repeating: 0, count: n)
        return certainties.map { c in
            precondition(c.count == n, "TemporalTargets.closestFirst: equal sizes")
            var out = [Float](repeating: 0, count: n)
            for i in 0..<n {
                out[i] = max(c[i] - covered[i], 0)
                covered[i] += c[i]
            }
            return out
        }
    }
}

/// Exact tiles (issue 7): one frame's Gram statistics shared by its tiles.
///
/// A tile optimized alone matches the style targets A_l with its own Gram matrices, so every tile ends up
/// with the style's full statistics — the sky tile and the sea tile alike — and the frame is a patchwork of
/// local optima. The whole frame's objective has the style term ‖G_l(frame) − A_l‖², with G_l(frame) =
/// S_l / P_l, the frame's Gram sums S over its P feature positions (a `GramSums` over the assembled frame).
///
/// Between rounds every tile is given the target
///
///     A′_l = A_l + (G_l(tile) − G_l(frame))        (both at the start of the round)
///
/// i.e. it keeps its own departure from the frame's statistics and takes the frame's error A − G(frame) as
/// its correction. If every tile reaches its target, Σ_i P_i·A′_i / P = A: the frame's statistics hit the
/// style (additive, not each tile correcting the whole error — that would overshoot by the tile count).
/// At a fixed point (G(tile) constant over a round) a tile's style gradient 2(G(tile) − A′)·∂G(tile) equals
/// 2(G(frame) − A)·∂G(tile), the gradient of the frame's style term with respect to the tile scaled like
/// its content mean: the rounds converge to stationary points of the whole frame's objective.
/// For a tile that is the whole frame, A′ = A.
public enum SharedGramTargets {
    /// The targets of one tile: `targets` (A) moved by the tile's Gram matrices minus the frame's, layer by
    /// layer (matched by name; every layer of `targets` must be in both sums).
    public static func tileTargets(_ targets: StyleTargets, frame: GramSums, tile: GramSums) throws -> StyleTargets {
        let frameGrams = try frame.grams(), tileGrams = try tile.grams()
        var out = targets
        for (n, layer) in targets.layers.enumerated() {
            guard let f = frame.layers.firstIndex(where: { $0.name == layer.name }),
                  let t = tile.layers.firstIndex(where: { $0.name == layer.name }) else {
                throw GramSumsError.layerMismatch(targets.layers.map(\.name), frame.layers.map(\.name))
            }
            guard frame.layers[f].channels == layer.channels, tile.layers[t].channels == layer.channels else {
                throw GramSumsError.channelMismatch(layer: layer.name, layer.channels, frame.layers[f].channels)
            }
            let (g, h) = (tileGrams[t], frameGrams[f])
            for i in 0..<layer.gram.count { out.layers[n].gram[i] = layer.gram[i] + (g[i] - h[i]) }
        }
        return out
    }
}

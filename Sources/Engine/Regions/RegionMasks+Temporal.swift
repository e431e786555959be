/// Temporally stable region masks for video.
///
/// A per-frame segmentation flickers: a soft mask can swing from 0.3 to 0.7 between frames of a static
/// scene, and the region styles flicker with it. Smoothing each frame's soft masks with its neighbours'
/// masks, warped into the frame along the optical flow and weighted by the flow certainty (Ruder,
/// Dosovitskiy & Brox, GCPR 2016, §3.2 — the same warp ω and weights c as the temporal loss), keeps regions
/// from flickering. It is stateless per frame: a frame's smoothed masks depend only on its own and its
/// neighbours' raw masks and flows, never on an earlier smoothed result, so every scheduling strategy
/// (sequential, parallel, multi-pass) gets the same masks.
extension RegionMasks {
    /// Every mask warped backward along `flow` (`Warp.backward`: value at p taken from p + flow(p),
    /// bilinear, edge-replicated where the sample leaves the frame — give such pixels zero certainty).
    /// `flow` must be on the destination frame's grid and of these masks' size.
    public func warped(by flow: FlowField) throws -> RegionMasks {
        guard flow.width == width && flow.height == height else {
            throw TemporalError.sizeMismatch(what: "the region masks and the flow", width, height, flow.width, flow.height)
        }
        let named = try names.map { name -> (String, [Float]) in
            let plane = Image(width: width, height: height, channels: 1, pixels: masks[name]!)
            return (name, try Warp.backward(plane, flow: flow).image.pixels)
        }
        return RegionMasks(width: width, height: height, named: named)
    }

    /// These masks smoothed with the neighbours' masks, which must ALREADY be warped into this frame
    /// (`warped(by:)`), each with one certainty per pixel (e.g. `FlowPair.certaintyOfSecond().weights`).
    /// Per mask m and pixel p, a certainty-weighted average with this frame's own mask counting once:
    ///
    ///   m'(p) = (m(p) + λ · Σ_n c_n(p) · m_n(p)) / (1 + λ · Σ_n c_n(p)),     λ = `weight` ≥ 0.
    ///
    /// Names and their order are this frame's; a name a neighbour lacks is skipped for that neighbour.
    /// Where no neighbour is certain the mask is unchanged. Throws when a neighbour's masks or certainty
    /// do not have this frame's size, or when `weight` is negative or not finite.
    public func temporallySmoothed(neighbours: [(masks: RegionMasks, certainty: [Float])], weight: Float = 1) throws -> RegionMasks {
        guard weight.isFinite && weight >= 0 else {
            throw RegionError.invalidSpecification("temporal mask smoothing weight \(weight) must be a finite number ≥ 0")
        }
        let n = width * height
        for (k, neighbour) in neighbours.enumerated() {
            guard neighbour.masks.width == width && neighbour.masks.height == height else {
                throw TemporalError.sizeMismatch(what: "the region masks and neighbour \(k)'s (warped) masks", width, height,
                                                 neighbour.masks.width, neighbour.masks.height)
            }
            guard neighbour.certainty.count == n else {
                throw TemporalError.sizeMismatch(what: "the region masks and neighbour \(k)'s certainty (values)", n, 1,
                                                 neighbour.certainty.count, 1)
            }
        }
        guard !neighbours.isEmpty && weight > 0 else { return self }
        let named = names.map { name -> (String, [Float]) in
            let own = masks[name]!
            var numerator = own, denominator = [Float](repeating: 1, count: n)
            for neighbour in neighbours {
                guard let other = neighbour.masks.masks[name] else { continue }
                let c = neighbour.certainty
                for p in 0..<n {
                    let wc = weight * min(1, max(0, c[p]))
                    numerator[p] += wc * other[p]
                    denominator[p] += wc
                }
            }
            for p in 0..<n { numerator[p] /= denominator[p] }
            return (name, numerator)
        }
        return RegionMasks(width: width, height: height, named: named)
    }

    /// This frame's masks stabilized with its temporal neighbours' masks — the one recipe the farm's
    /// worker and `stylefarm stylize --previous-*` share, so both compute identical masks.
    ///
    /// Each neighbour's RAW masks (made exactly as this frame's: same source, same CRF, same size) are
    /// warped into this frame along the pair's flow and weighted by the pair's certainty:
    /// * `neighbourIsFirst` (the neighbour precedes this frame, which is the pair's second frame):
    ///   `warped(by: pair.backward)` with `pair.certaintyOfSecond()`;
    /// * otherwise (the neighbour follows, this frame is the pair's first): `warped(by: pair.forward)`
    ///   with `pair.certaintyOfFirst()`;
    ///
    /// then `temporallySmoothed(neighbours:weight:)` averages them with this frame's masks. Stateless:
    /// the result depends only on raw masks and flows, never on an earlier stabilized result. With no
    /// neighbours (or `weight` 0) the masks are returned unchanged.
    ///
    /// Throws `TemporalError.sizeMismatch` when a neighbour's masks or flow pair do not have these masks'
    /// size (make the neighbour's masks at the output size, and compute the flow there too), and
    /// `RegionError.invalidSpecification` when `weight` is negative or not finite.
    public func stabilized(neighbours: [(masks: RegionMasks, pair: FlowPair, neighbourIsFirst: Bool)],
                           weight: Float = 1) throws -> RegionMasks {
        var warpedNeighbours: [(masks: RegionMasks, certainty: [Float])] = []
        warpedNeighbours.reserveCapacity(neighbours.count)
        for (k, neighbour) in neighbours.enumerated() {
            guard neighbour.masks.width == width && neighbour.masks.height == height else {
                throw TemporalError.sizeMismatch(what: "the region masks and neighbour \(k)'s masks", width, height,
                                                 neighbour.masks.width, neighbour.masks.height)
            }
            guard neighbour.pair.width == width && neighbour.pair.height == height else {
                throw TemporalError.sizeMismatch(what: "the region masks and neighbour \(k)'s flow pair", width, height,
                                                 neighbour.pair.width, neighbour.pair.height)
            }
            if neighbour.neighbourIsFirst {
                warpedNeighbours.append((masks: try neighbour.masks.warped(by: neighbour.pair.backward),
                                         certainty: try neighbour.pair.certaintyOfSecond().weights))
            } else {
                warpedNeighbours.append((masks: try neighbour.masks.warped(by: neighbour.pair.forward),
                                         certainty: try neighbour.pair.certaintyOfFirst().weights))
            }
        }
        return try temporallySmoothed(neighbours: warpedNeighbours, weight: weight)
    }
}

/// The reduction of a 2×2 pooling window.
public enum PoolingKind: String, Sendable {
    case max, average
}

/// 2×2, stride-2 pooling in floor mode: output is ⌊H/2⌋ × ⌊W/2⌋, an odd trailing row/column is
/// dropped (PyTorch's default `ceil_mode=False`).
public enum Pool2x2 {
    public static func forward(_ x: Tensor, kind: PoolingKind, into y: inout Tensor) {
        let h = x.height, w = x.width, oh = h / 2, ow = w / 2
        y.reshapeReusingStorage(channels: x.channels, height: oh, width: ow)
        if oh == 0 || ow == 0 { return }
        x.data.withUnsafeBufferPointer { xb in
            y.data.withUnsafeMutableBufferPointer { yb in
                let xp = xb.baseAddress!, yp = yb.baseAddress!
                ParallelLoop.forEachChunk(count: x.channels) { channels in
                    for c in channels {
                        for oy in 0..<oh {
                            let r0 = xp + (c * h + 2 * oy) * w, r1 = r0 + w
                            let out = yp + (c * oh + oy) * ow
                            switch kind {
                            case .max:
                                for ox in 0..<ow {
                                    out[ox] = max(max(r0[2 * ox], r0[2 * ox + 1]), max(r1[2 * ox], r1[2 * ox + 1]))
                                }
                            case .average:
                                for ox in 0..<ow {
                                    out[ox] = 0.25 * ((r0[2 * ox] + r0[2 * ox + 1]) + (r1[2 * ox] + r1[2 * ox + 1]))
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// dx from dy. Max: each dy goes to the window's maximum (the first in raster order on ties);
    /// average: dy/4 to each of the four. Dropped rows/columns get zero. `dx` is overwritten.
    public static func backward(input x: Tensor, output y: Tensor, gradient dy: Tensor, kind: PoolingKind,
                                into dx: inout Tensor) {
        let h = x.height, w = x.width, oh = h / 2, ow = w / 2
        precondition(dy.channels == x.channels && dy.height == oh && dy.width == ow, "Pool2x2.backward: shape mismatch")
        dx.reshapeReusingStorage(channels: x.channels, height: h, width: w)
        x.data.withUnsafeBufferPointer { xb in
            dy.data.withUnsafeBufferPointer { gb in
                dx.data.withUnsafeMutableBufferPointer { db in
                    let xp = xb.baseAddress, gp = gb.baseAddress, dp = db.baseAddress
                    ParallelLoop.forEachChunk(count: x.channels) { channels in
                        for c in channels {
                            let plane = dp! + c * h * w
                            for oy in 0..<oh {
                                let i0 = (c * h + 2 * oy) * w
                                let x0 = xp! + i0, x1 = x0 + w
                                let d0 = plane + 2 * oy * w, d1 = d0 + w
                                let g = gp! + (c * oh + oy) * ow
                                switch kind {
                                case .max:
                                    // Branch-free argmax, first maximum in raster order wins.
                                    for ox in 0..<ow {
                                        let a = x0[2 * ox], b = x0[2 * ox + 1], cc = x1[2 * ox], d = x1[2 * ox + 1]
                                        let m = max(max(a, b), max(cc, d))
                                        let v = g[ox]
                                        let takeA = a == m
                                        let takeB = !takeA && b == m
                                        let takeC = !takeA && !takeB && cc == m
                                        let takeD = !takeA && !takeB && !takeC
                                        d0[2 * ox] = takeA ? v : 0
                                        d0[2 * ox + 1] = takeB ? v : 0
                                        d1[2 * ox] = takeC ? v : 0
                                        d1[2 * ox + 1] = takeD ? v : 0
                                    }
                                case .average:
                                    for ox in 0..<ow {
                                        let q = 0.25 * g[ox]
                                        d0[2 * ox] = q; d0[2 * ox + 1] = q; d1[2 * ox] = q; d1[2 * ox + 1] = q
                                    }
                                }
                                if w % 2 == 1 { d0[w - 1] = 0; d1[w - 1] = 0 }          // dropped column
                            }
                            if h % 2 == 1 { (plane + (h - 1) * w).update(repeating: 0, count: w) }   // dropped row
                        }
                    }
                }
            }
        }
    }
}

/// Squared total-variation regularizer on an image tensor x:
/// weight·(1/(C·H·W)) Σ_{c,y,x} [(x[c,y,x+1] − x[c,y,x])² + (x[c,y+1,x] − x[c,y,x])²],
/// differences that would leave the image omitted.
public enum TotalVariation {
    public static func loss(_ image: Tensor, weight: Float) -> Float {
        image.data.withUnsafeBufferPointer { xb in
            evaluate(xb, channels: image.channels, height: image.height, width: image.width,
                     weight: weight, gradient: nil)
        }
    }

    /// As `loss`, and ADDS its gradient to `gradient`: each difference d = x[b] − x[a] contributes
    /// +weight·2d/(C·H·W) to x[b] and −weight·2d/(C·H·W) to x[a].
    public static func loss(_ image: Tensor, weight: Float, accumulatingGradientInto gradient: inout Tensor) -> Float {
        precondition(gradient.hasSameShape(as: image), "TotalVariation: gradient shape mismatch")
        return image.data.withUnsafeBufferPointer { xb in
            gradient.data.withUnsafeMutableBufferPointer { gb in
                evaluate(xb, channels: image.channels, height: image.height, width: image.width,
                         weight: weight, gradient: gb.baseAddress)
            }
        }
    }

    private static func evaluate(_ xb: UnsafeBufferPointer<Float>, channels c: Int, height h: Int, width w: Int,
                                 weight: Float, gradient g: UnsafeMutablePointer<Float>?) -> Float {
        let n = c * h * w
        if n == 0 { return 0 }
        let x = xb.baseAddress!
        let scale = weight * 2 / Float(n)
        var s = 0.0
        for ch in 0..<c {
            for yy in 0..<h {
                for xx in 0..<w {
                    let a = (ch * h + yy) * w + xx
                    let v = x[a]
                    if xx + 1 < w {
                        let d = x[a + 1] - v
                        s += Double(d) * Double(d)
                        if let g { g[a + 1] += scale * d; g[a] -= scale * d }
                    }
                    if yy + 1 < h {
                        let d = x[a + w] - v
                        s += Double(d) * Double(d)
                        if let g { g[a + w] += scale * d; g[a] -= scale * d }
                    }
                }
            }
        }
        return weight * Float(s / Double(n))
    }
}

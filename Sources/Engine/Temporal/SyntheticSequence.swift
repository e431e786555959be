import Foundation

/// Errors building a synthetic sequence; each says what to change.
public enum SyntheticSequenceError: Error, Equatable, CustomStringConvertible {
    /// The frame size is not positive or exceeds `SyntheticSequence.maxPixels`.
    case invalidSize(width: Int, height: Int)
    /// Fewer than two frames (no pair to have a flow), or more than `SyntheticSequence.maxFrames`.
    case invalidFrameCount(Int)
    /// An input image has no pixels.
    case emptyImage(what: String)
    /// The foreground colour and its matte differ in size.
    case matteSizeMismatch(colorWidth: Int, colorHeight: Int, matteWidth: Int, matteHeight: Int)
    /// A motion parameter is not finite, or the zoom is not positive.
    case invalidMotion(String)
    /// The pan (and zoom) need more background than the image has without magnifying it more than
    /// `SyntheticSequence.maxMagnification` times.
    case motionTooLarge(magnification: Double)
    /// A frame index outside 0..<frameCount.
    case frameOutOfRange(Int, count: Int)

    public var description: String {
        switch self {
        case let .invalidSize(w, h):
            return "invalid sequence size \(w)×\(h): each side must be positive and the frame at most \(SyntheticSequence.maxPixels) pixels"
        case let .invalidFrameCount(n):
            return "\(n) frames: a sequence needs 2…\(SyntheticSequence.maxFrames) frames"
        case let .emptyImage(what):
            return "the \(what) image has no pixels"
        case let .matteSizeMismatch(cw, ch, mw, mh):
            return "the foreground is \(cw)×\(ch) but its matte is \(mw)×\(mh); they must have the same size"
        case let .invalidMotion(detail):
            return "invalid motion: \(detail)"
        case let .motionTooLarge(m):
            return String(format: "the pan/zoom would magnify the background %.1f× (at most %.0f×); use a smaller pan or zoom, fewer frames or a larger background image",
                          m, SyntheticSequence.maxMagnification)
        case let .frameOutOfRange(k, count):
            return "frame \(k) is outside the sequence's 0…\(count - 1)"
        }
    }
}

/// A synthetic shot with exact ground truth: a foreground layer (colour + matte) translating along a path
/// over a background that pans and zooms about the frame centre. Every frame is rendered by exact inverse
/// mapping with bilinear sampling, so the correspondence of every pixel between any two frames is known
/// in closed form; `flow(from:to:)` returns it (in `FlowField`'s convention, on the first frame's grid)
/// with the pixels whose correspondence cannot be trusted (`occluded`).
///
/// **Background.** With S_t the magnification of frame t (S_0·zoom^t) and T_t = pan·t/S_0 the pan in
/// background pixels, frame pixel p shows background position  b(p, t) = c_b + T_t + (p − c_f)/S_t
/// (c_f, c_b the frame's and the image's centres). The point b(p, a) appears in frame b at
/// q = c_f + S_b·((p − c_f)/S_a + T_a − T_b): with zoom 1 the background moves by exactly −pan per frame.
/// S_0 is the smallest magnification (times a 2 % margin) that keeps every frame's window inside the
/// image, so no background sample is ever extrapolated; the image is first area-downsampled so that
/// S_0 ≈ 1.1 (bilinear sampling never minifies, so it does not alias).
///
/// **Foreground.** Its top-left pixel centre is at `motion.foregroundCenter(t) − (size − 1)/2`; colour
/// (edge-clamped) and matte (zero outside) are sampled bilinearly at p − topLeft_t, so a foreground
/// point moves by exactly the difference of the two centres. Frame = α·F + (1 − α)·background.
///
/// **Occlusion** of pixel p of frame a towards frame b (`flow(from: a, to: b).occluded`): its
/// correspondence q lies outside [0, W−1]×[0, H−1]; or p is a mixed edge pixel (0 < α_a(p) < 1, its colour
/// blends two layers that move differently); or the bilinear support of q in frame b (the pixels with
/// non-zero weight) is not purely p's layer, i.e. a background point hidden behind (or at the edge of)
/// the foreground in frame b, or a foreground edge. p's layer is foreground where α ≥ 0.5 (also the layer
/// whose motion the flow reports).
public struct SyntheticSequence: Sendable {
    /// Largest frame (pixels).
    public static let maxPixels = 16_777_216
    /// Most frames.
    public static let maxFrames = 10_000
    /// Largest background magnification the motion may need.
    public static let maxMagnification = 16.0
    /// Magnification the background image is downsampled to (when it is larger than needed).
    public static let targetMagnification = 1.1

    /// A point or vector in frame pixels (x right, y down).
    public struct Point: Sendable, Equatable, Codable {
        public var x: Double
        public var y: Double
        public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
    }

    /// How the camera and the foreground move.
    public struct Motion: Sendable, Equatable, Codable {
        /// Camera pan per frame, in frame pixels at frame 0's scale: the background moves by −pan per
        /// frame (exactly so when `backgroundZoom` is 1).
        public var backgroundPan: Point
        /// Magnification per frame about the frame centre (> 1 zooms in, 1 = none).
        public var backgroundZoom: Double
        /// The foreground's centre in frame 0 (frame pixels; pixel centres are at integers).
        public var foregroundStart: Point
        /// The foreground's velocity, pixels per frame.
        public var foregroundVelocity: Point
        /// Amplitude of a sinusoidal wobble added to the straight path (pixels; 0 for none).
        public var foregroundWobble: Point
        /// Period of the wobble, in frames.
        public var wobblePeriod: Double

        public init(backgroundPan: Point = Point(0, 0), backgroundZoom: Double = 1, foregroundStart: Point,
                    foregroundVelocity: Point = Point(0, 0), foregroundWobble: Point = Point(0, 0),
                    wobblePeriod: Double = 8) {
            self.backgroundPan = backgroundPan
            self.backgroundZoom = backgroundZoom
            self.foregroundStart = foregroundStart
            self.foregroundVelocity = foregroundVelocity
            self.foregroundWobble = foregroundWobble
            self.wobblePeriod = wobblePeriod
        }

        /// The foreground's centre in frame `t` (the path: straight line plus wobble).
        public func foregroundCenter(_ t: Int) -> Point {
            let phase = sin(2 * Double.pi * Double(t) / wobblePeriod)
            return Point(foregroundStart.x + foregroundVelocity.x * Double(t) + foregroundWobble.x * phase,
                         foregroundStart.y + foregroundVelocity.y * Double(t) + foregroundWobble.y * phase)
        }
    }

    /// One rendered frame: the composite (RGB) and the foreground's matte (gray, α in [0, 1]).
    public struct Frame: Sendable {
        public var image: Image
        public var matte: Image
    }

    public let width: Int
    public let height: Int
    public let frameCount: Int
    public let motion: Motion
    /// The background actually sampled (RGB, possibly downsampled from the one given).
    public let background: Image
    /// S_0: frame pixels per background pixel in frame 0.
    public let initialMagnification: Double
    /// The foreground's colour (RGB) and matte (one channel), same size.
    public let foreground: Image
    public let foregroundMatte: Image

    /// Prepares a sequence. `background` and `foreground` may have any channel count (converted to RGB;
    /// alpha dropped); `foregroundMatte`'s first channel is α (its size must be the foreground's). The
    /// foreground is drawn at its own size.
    public init(background: Image, foreground: Image, foregroundMatte: Image, width: Int, height: Int,
                frames: Int, motion: Motion) throws {
        guard width > 0, height > 0, width * height <= Self.maxPixels else {
            throw SyntheticSequenceError.invalidSize(width: width, height: height)
        }
        guard (2...Self.maxFrames).contains(frames) else { throw SyntheticSequenceError.invalidFrameCount(frames) }
        guard background.pixelCount > 0 else { throw SyntheticSequenceError.emptyImage(what: "background") }
        guard foreground.pixelCount > 0 else { throw SyntheticSequenceError.emptyImage(what: "foreground") }
        guard foreground.width == foregroundMatte.width, foreground.height == foregroundMatte.height else {
            throw SyntheticSequenceError.matteSizeMismatch(colorWidth: foreground.width, colorHeight: foreground.height,
                                                           matteWidth: foregroundMatte.width, matteHeight: foregroundMatte.height)
        }
        let numbers = [motion.backgroundPan.x, motion.backgroundPan.y, motion.backgroundZoom, motion.foregroundStart.x,
                       motion.foregroundStart.y, motion.foregroundVelocity.x, motion.foregroundVelocity.y,
                       motion.foregroundWobble.x, motion.foregroundWobble.y, motion.wobblePeriod]
        guard numbers.allSatisfy(\.isFinite) else { throw SyntheticSequenceError.invalidMotion("every value must be finite") }
        guard motion.backgroundZoom > 0 else {
            throw SyntheticSequenceError.invalidMotion("zoom per frame must be positive (1 = none), got \(motion.backgroundZoom)")
        }
        guard motion.wobblePeriod > 0 else {
            throw SyntheticSequenceError.invalidMotion("the wobble period must be positive, got \(motion.wobblePeriod)")
        }
        var bg = background.toRGB()
        var s0 = Self.requiredMagnification(width: width, height: height, frames: frames, motion: motion,
                                            backgroundWidth: bg.width, backgroundHeight: bg.height)
        guard s0.isFinite, s0 <= Self.maxMagnification else { throw SyntheticSequenceError.motionTooLarge(magnification: s0) }
        if s0 < Self.targetMagnification {
            // Downsample (area average) so that sampling magnifies a little: bilinear then does not alias.
            let f = s0 / Self.targetMagnification
            bg = try bg.resized(width: max(2, Int((Double(bg.width) * f).rounded())),
                                height: max(2, Int((Double(bg.height) * f).rounded())))
            s0 = Self.requiredMagnification(width: width, height: height, frames: frames, motion: motion,
                                            backgroundWidth: bg.width, backgroundHeight: bg.height)
            guard s0.isFinite, s0 <= Self.maxMagnification else { throw SyntheticSequenceError.motionTooLarge(magnification: s0) }
        }
        self.width = width
        self.height = height
        self.frameCount = frames
        self.motion = motion
        self.background = bg
        self.initialMagnification = s0
        self.foreground = foreground.toRGB()
        var alpha = [Float](repeating: 0, count: foregroundMatte.pixelCount)
        for p in 0..<alpha.count { alpha[p] = min(max(foregroundMatte.pixels[p * foregroundMatte.channels], 0), 1) }
        self.foregroundMatte = Image(width: foregroundMatte.width, height: foregroundMatte.height, channels: 1, pixels: alpha)
    }

    /// The smallest S_0 (with a 2 % margin) for which every frame's window, b(p, t) for p in the frame,
    /// lies inside [0, bw−1]×[0, bh−1]: per axis, |pan|·t/S_0 + (n−1)/(2·S_0·zoom^t) ≤ (m−1)/2.
    static func requiredMagnification(width: Int, height: Int, frames: Int, motion: Motion,
                                      backgroundWidth bw: Int, backgroundHeight bh: Int) -> Double {
        var s = 0.0
        for t in 0..<frames {
            let z = pow(motion.backgroundZoom, Double(t))
            let sx = (2 * abs(motion.backgroundPan.x) * Double(t) + Double(width - 1) / z) / Double(max(bw - 1, 1))
            let sy = (2 * abs(motion.backgroundPan.y) * Double(t) + Double(height - 1) / z) / Double(max(bh - 1, 1))
            s = max(s, sx, sy)
        }
        return max(s, 1e-6) * 1.02
    }

    /// S_t.
    public func magnification(_ t: Int) -> Double { initialMagnification * pow(motion.backgroundZoom, Double(t)) }

    /// Where frame pixel (x, y) of frame t samples the background (background pixels).
    @inline(__always) func backgroundPosition(_ x: Double, _ y: Double, _ t: Int) -> (Double, Double) {
        let s = magnification(t)
        let cfx = Double(width - 1) / 2, cfy = Double(height - 1) / 2
        let cbx = Double(background.width - 1) / 2, cby = Double(background.height - 1) / 2
        return (cbx + motion.backgroundPan.x * Double(t) / initialMagnification + (x - cfx) / s,
                cby + motion.backgroundPan.y * Double(t) / initialMagnification + (y - cfy) / s)
    }

    /// Where the background point shown at (x, y) in frame a appears in frame b.
    @inline(__always) func backgroundCorrespondence(_ x: Double, _ y: Double, from a: Int, to b: Int) -> (Double, Double) {
        let sa = magnification(a), sb = magnification(b)
        let cfx = Double(width - 1) / 2, cfy = Double(height - 1) / 2
        let dt = Double(a - b) / initialMagnification
        return (cfx + sb * ((x - cfx) / sa + motion.backgroundPan.x * dt),
                cfy + sb * ((y - cfy) / sa + motion.backgroundPan.y * dt))
    }

    /// The frame position of the foreground's top-left pixel centre in frame t.
    public func foregroundOrigin(_ t: Int) -> Point {
        let c = motion.foregroundCenter(t)
        return Point(c.x - Double(foreground.width - 1) / 2, c.y - Double(foreground.height - 1) / 2)
    }

    private func check(_ t: Int) throws {
        guard (0..<frameCount).contains(t) else { throw SyntheticSequenceError.frameOutOfRange(t, count: frameCount) }
    }

    /// The foreground's matte in frame t (one channel, α in [0, 1]).
    public func matte(_ t: Int) throws -> Image {
        try check(t)
        let o = foregroundOrigin(t)
        var alpha = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                alpha[y * width + x] = Self.sampleZero(foregroundMatte, Double(x) - o.x, Double(y) - o.y)
            }
        }
        return Image(width: width, height: height, channels: 1, pixels: alpha)
    }

    /// Renders frame t (0-based): the composite and the matte.
    public func frame(_ t: Int) throws -> Frame {
        let matte = try self.matte(t)
        let o = foregroundOrigin(t)
        var out = [Float](repeating: 0, count: width * height * 3)
        var bgSample: [Float] = [0, 0, 0], fgSample: [Float] = [0, 0, 0]
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let (bx, by) = backgroundPosition(Double(x), Double(y), t)
                Self.sampleClamped(background, bx, by, into: &bgSample)
                let a = matte.pixels[i]
                if a > 0 {
                    Self.sampleClamped(foreground, Double(x) - o.x, Double(y) - o.y, into: &fgSample)
                }
                for c in 0..<3 { out[i * 3 + c] = a > 0 ? a * fgSample[c] + (1 - a) * bgSample[c] : bgSample[c] }
            }
        }
        return Frame(image: Image(width: width, height: height, channels: 3, pixels: out), matte: matte)
    }

    /// The exact flow from frame a to frame b on frame a's grid (pixel p of a is at p + w(p) in b), and
    /// the pixels of a whose correspondence is not trustworthy (see the type's documentation). Consecutive
    /// frames give the forward (a, a+1) or backward (a+1, a) flow; any two frames work.
    public func flow(from a: Int, to b: Int) throws -> (flow: FlowField, occluded: [Bool]) {
        let matteA = try matte(a), matteB = try matte(b)
        let oa = foregroundOrigin(a), ob = foregroundOrigin(b)
        let fdx = ob.x - oa.x, fdy = ob.y - oa.y
        let n = width * height
        var u = [Float](repeating: 0, count: n), v = [Float](repeating: 0, count: n)
        var occluded = [Bool](repeating: false, count: n)
        let maxX = Double(width - 1), maxY = Double(height - 1)
        let eps: Float = 1e-4, weightEps = 1e-6
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let alpha = matteA.pixels[i]
                let isForeground = alpha >= 0.5
                var (qx, qy) = isForeground ? (Double(x) + fdx, Double(y) + fdy)
                    : backgroundCorrespondence(Double(x), Double(y), from: a, to: b)
                // Round-off of the closed form (1e-13 px) must not move a point across a pixel or the border.
                if abs(qx - qx.rounded()) < 1e-9 { qx = qx.rounded() }
                if abs(qy - qy.rounded()) < 1e-9 { qy = qy.rounded() }
                u[i] = Float(qx - Double(x))
                v[i] = Float(qy - Double(y))
                if alpha > eps && alpha < 1 - eps { occluded[i] = true; continue }
                guard qx >= 0, qx <= maxX, qy >= 0, qy <= maxY else { occluded[i] = true; continue }
                // The bilinear support of q in frame b must be purely p's layer.
                let x0 = Int(qx), y0 = Int(qy)
                let ax = qx - Double(x0), ay = qy - Double(y0)
                var pure = true
                for (dy, wy) in [(0, 1 - ay), (1, ay)] where wy > weightEps {
                    for (dx, wx) in [(0, 1 - ax), (1, ax)] where wx > weightEps {
                        let xx = min(x0 + dx, width - 1), yy = min(y0 + dy, height - 1)
                        let beta = matteB.pixels[yy * width + xx]
                        if isForeground ? beta < 1 - eps : beta > eps { pure = false }
                    }
                }
                occluded[i] = !pure
            }
        }
        return (FlowField(width: width, height: height, u: u, v: v), occluded)
    }

    /// A matte for a `width × height` foreground: a rounded rectangle filling it with corners of
    /// `cornerRadius` pixels (min(width, height)/2 gives a stadium or a disc), α = 1 inside, 0 outside,
    /// with a linear ramp `edgeWidth` pixels wide centred on the edge (0: hard edge, α ∈ {0, 1} at pixel
    /// centres). The shape's boundary runs half a pixel outside the outermost pixel centres.
    public static func roundedRectangleMatte(width: Int, height: Int, cornerRadius: Double, edgeWidth: Double) -> Image {
        let hx = Double(width) / 2, hy = Double(height) / 2
        let r = min(max(cornerRadius, 0), min(hx, hy))
        var alpha = [Float](repeating: 0, count: max(0, width * height))
        for y in 0..<max(0, height) {
            for x in 0..<max(0, width) {
                // Signed distance to the rounded rectangle (negative inside).
                let px = abs(Double(x) + 0.5 - hx) - (hx - r), py = abs(Double(y) + 0.5 - hy) - (hy - r)
                let outside = (max(px, 0) * max(px, 0) + max(py, 0) * max(py, 0)).squareRoot()
                let d = outside + min(max(px, py), 0) - r
                let a = edgeWidth > 0 ? min(max(0.5 - d / edgeWidth, 0), 1) : (d < 0 ? 1 : 0)
                alpha[y * width + x] = Float(a)
            }
        }
        return Image(width: max(0, width), height: max(0, height), channels: 1, pixels: alpha)
    }

    /// Bilinear sample of a 3-channel image at (x, y), edge-clamped.
    @inline(__always) static func sampleClamped(_ image: Image, _ x: Double, _ y: Double, into out: inout [Float]) {
        let w = image.width, h = image.height, c = image.channels
        let cx = min(max(x, 0), Double(w - 1)), cy = min(max(y, 0), Double(h - 1))
        let x0 = Int(cx), y0 = Int(cy), x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
        let ax = Float(cx - Double(x0)), ay = Float(cy - Double(y0))
        image.pixels.withUnsafeBufferPointer { p in
            for k in 0..<3 {
                let top = p[(y0 * w + x0) * c + k] + (p[(y0 * w + x1) * c + k] - p[(y0 * w + x0) * c + k]) * ax
                let bottom = p[(y1 * w + x0) * c + k] + (p[(y1 * w + x1) * c + k] - p[(y1 * w + x0) * c + k]) * ax
                out[k] = top + (bottom - top) * ay
            }
        }
    }

    /// Bilinear sample of a 1-channel image at (x, y), zero outside it.
    @inline(__always) static func sampleZero(_ image: Image, _ x: Double, _ y: Double) -> Float {
        let w = image.width, h = image.height
        guard x > -1, y > -1, x < Double(w), y < Double(h) else { return 0 }
        let fx = x.rounded(.down), fy = y.rounded(.down)
        let x0 = Int(fx), y0 = Int(fy)
        let ax = Float(x - fx), ay = Float(y - fy)
        func at(_ xx: Int, _ yy: Int) -> Float {
            xx >= 0 && yy >= 0 && xx < w && yy < h ? image.pixels[yy * w + xx] : 0
        }
        let top = at(x0, y0) + (at(x0 + 1, y0) - at(x0, y0)) * ax
        let bottom = at(x0, y0 + 1) + (at(x0 + 1, y0 + 1) - at(x0, y0 + 1)) * ax
        return top + (bottom - top) * ay
    }
}

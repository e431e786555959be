import Foundation

/// The colour spaces a plate may come in, and the one the network sees (issue 20).
///
/// VGG was trained on display-referred sRGB images, so the engine stylizes in **working space**: sRGB-encoded
/// values in [0, 1]. OpenEXR plates are scene-linear (linear Rec.709/sRGB primaries, or ACEScg) with values above 1
/// in highlights; PNG and JPEG are sRGB already. ``toWorking(_:)`` and ``fromWorking(_:)`` convert one pixel each
/// way and are exact inverses of each other (to float rounding) for every finite input, so a pixel nothing
/// stylized comes back as the plate had it:
///
/// 1. primaries to linear Rec.709 (ACEScg: the AP1 → Rec.709 matrix with the Bradford D60 → D65 adaptation, as
///    the ACES OCIO configs use it);
/// 2. highlights above ``HighlightRolloff/knee`` rolled off to reach 1 at ``HighlightRolloff/white`` (``HighlightRolloff``:
///    identity below the knee, continuous in value and slope at it, strictly increasing, so exactly invertible)
///    instead of clipped;
/// 3. the sRGB transfer function (IEC 61966-2-1), mirrored for negative values (out-of-gamut colours keep their
///    sign, as scRGB does).
public enum ColorSpace: String, Sendable, CaseIterable, Codable {
    /// sRGB-encoded, display-referred (PNG, JPEG): already the working space.
    case srgb
    /// Scene-linear with Rec.709/sRGB primaries and D65 white (OpenEXR's usual "linear sRGB").
    case linearRec709 = "linear-rec709"
    /// Scene-linear ACES AP1 primaries, D60 white (ACES 2065-4 / S-2014-004).
    case acescg

    /// Parses the names `--input-colorspace` takes (and a few aliases a TD might type).
    public init?(name: String) {
        switch name.lowercased() {
        case "srgb", "srgb-display", "srgb_texture", "srgb - texture": self = .srgb
        case "linear-rec709", "linear", "lin_srgb", "linear-srgb", "lin_rec709", "scene-linear rec.709-srgb": self = .linearRec709
        case "acescg", "aces-cg", "lin_ap1": self = .acescg
        default: return nil
        }
    }

    /// Whether values are scene-linear (then the highlight roll-off and the transfer function apply).
    public var isLinear: Bool { self != .srgb }

    /// ACEScg (AP1, D60) → linear Rec.709 (D65), Bradford-adapted; row-major.
    static let ap1ToRec709: [Double] = [
        1.7050509926579815, -0.6217921206520459, -0.0832588720059358,
        -0.1302564175450800, 1.1408047366225070, -0.0105483190774278,
        -0.0240033568046796, -0.1289689760649598, 1.1529723328696393,
    ]
    /// Linear Rec.709 (D65) → ACEScg (AP1, D60): the inverse of ``ap1ToRec709``, computed, so the two round-trip to
    /// double precision (the published 10-digit matrix would leave 1e-8).
    static let rec709ToAP1: [Double] = inverse(ap1ToRec709)

    /// ACES2065-1 (AP0, D60) → linear Rec.709 (D65): AP0 → AP1 (same white, from the primaries of ACES
    /// S-2014-004 and SMPTE ST 2065-1), then ``ap1ToRec709``. Where an OpenColorIO conversion ends
    /// (``OpenColorIO/bake(space:config:)``: the config's `aces_interchange` role is ACES2065-1).
    public static let ap0ToRec709: [Double] = multiply(ap1ToRec709, multiply(inverse(npm(ap1)), npm(ap0)))

    /// Chromaticities (x, y) of red, green, blue and white.
    static let ap0: [(Double, Double)] = [(0.7347, 0.2653), (0.0, 1.0), (0.0001, -0.0770), (0.32168, 0.33767)]
    static let ap1: [(Double, Double)] = [(0.713, 0.293), (0.165, 0.830), (0.128, 0.044), (0.32168, 0.33767)]

    /// The normalized primary matrix (RGB → XYZ) of three primaries and a white point (SMPTE RP 177).
    static func npm(_ c: [(Double, Double)]) -> [Double] {
        let xyz: [[Double]] = c.map { (x: Double, y: Double) -> [Double] in [x / y, 1, (1 - x - y) / y] }
        var p = [Double](repeating: 0, count: 9)
        for row in 0..<3 { for column in 0..<3 { p[row * 3 + column] = xyz[column][row] } }
        let s = apply(inverse(p), (xyz[3][0], xyz[3][1], xyz[3][2]))
        let scale: [Double] = [s.0, s.1, s.2]
        return (0..<9).map { (i: Int) -> Double in p[i] * scale[i % 3] }
    }

    /// The product of two row-major 3×3 matrices.
    static func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
        (0..<9).map { (i: Int) -> Double in
            var sum = 0.0
            for k in 0..<3 { sum += a[i / 3 * 3 + k] * b[k * 3 + i % 3] }
            return sum
        }
    }

    /// The inverse of a row-major 3×3 matrix (adjugate over determinant).
    static func inverse(_ m: [Double]) -> [Double] {
        let c00 = m[4] * m[8] - m[5] * m[7], c01 = m[5] * m[6] - m[3] * m[8], c02 = m[3] * m[7] - m[4] * m[6]
        let determinant = m[0] * c00 + m[1] * c01 + m[2] * c02
        return [c00, m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
                c01, m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
                c02, m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3]].map { $0 / determinant }
    }

    /// One RGB pixel of this space in working space (sRGB-encoded, highlights rolled off).
    public func toWorking(_ rgb: (Double, Double, Double)) -> (Double, Double, Double) {
        guard isLinear else { return rgb }
        var (r, g, b) = rgb
        if self == .acescg { (r, g, b) = Self.apply(Self.ap1ToRec709, (r, g, b)) }
        return (Self.encode(HighlightRolloff.compress(r)), Self.encode(HighlightRolloff.compress(g)),
                Self.encode(HighlightRolloff.compress(b)))
    }

    /// One working-space pixel back in this space: the exact inverse of ``toWorking(_:)`` (a stylized pixel at the
    /// working range's top, 1, comes back as ``HighlightRolloff/white``).
    public func fromWorking(_ rgb: (Double, Double, Double)) -> (Double, Double, Double) {
        guard isLinear else { return rgb }
        let linear = (HighlightRolloff.expand(Self.decode(rgb.0)), HighlightRolloff.expand(Self.decode(rgb.1)),
                      HighlightRolloff.expand(Self.decode(rgb.2)))
        return self == .acescg ? Self.apply(Self.rec709ToAP1, linear) : linear
    }

    /// The sRGB transfer function (linear → encoded), mirrored for negative values.
    public static func encode(_ v: Double) -> Double {
        let a = abs(v)
        let e = a <= 0.0031308 ? 12.92 * a : 1.055 * pow(a, 1 / 2.4) - 0.055
        return v < 0 ? -e : e
    }

    /// The sRGB inverse transfer function (encoded → linear), mirrored for negative values.
    public static func decode(_ v: Double) -> Double {
        let a = abs(v)
        let l = a <= 0.04045 ? a / 12.92 : pow((a + 0.055) / 1.055, 2.4)
        return v < 0 ? -l : l
    }

    static func apply(_ m: [Double], _ v: (Double, Double, Double)) -> (Double, Double, Double) {
        (m[0] * v.0 + m[1] * v.1 + m[2] * v.2, m[3] * v.0 + m[4] * v.1 + m[5] * v.2, m[6] * v.0 + m[7] * v.1 + m[8] * v.2)
    }
}

/// Scene-linear highlights into the working range without clipping: identity up to `knee`, then Reinhard's
/// extended operator (Reinhard et al., "Photographic tone reproduction for digital images", SIGGRAPH 2002, eq. 4)
/// on the excess over the knee, `t = (x − k) / (1 − k)`:
///
///   y = k + (1 − k)·g(t),   g(t) = t·(1 + t/W²) / (1 + t),   W = (white − k) / (1 − k),
///
/// which meets the identity with the same value and slope at the knee, rises strictly, and reaches 1 exactly at
/// `white` (16: four stops over diffuse white), so an output pixel at the working range's top comes back as 16, not
/// infinity. Its inverse is the positive root of `t²/W² + (1 − g)·t − g = 0`, taken in the form that stays exact
/// for small `g`. White (1) lands at 0.90, 8 at 0.996; values above `white` land above 1 and still come back.
public enum HighlightRolloff {
    /// Where the roll-off starts (linear).
    public static let knee = 0.8
    /// The linear value that lands on 1.
    public static let white = 16.0
    static let w = (white - knee) / (1 - knee)

    public static func compress(_ x: Double) -> Double {
        guard x > knee else { return x }
        let t = (x - knee) / (1 - knee)
        return knee + (1 - knee) * t * (1 + t / (w * w)) / (1 + t)
    }

    public static func expand(_ y: Double) -> Double {
        guard y > knee else { return y }
        let g = (y - knee) / (1 - knee)
        // t = 2g / ((1 − g) + √((1 − g)² + 4g/W²)): the root without cancellation.
        let t = 2 * g / ((1 - g) + ((1 - g) * (1 - g) + 4 * g / (w * w)).squareRoot())
        return knee + (1 - knee) * t
    }
}

import XCTest
@testable import Engine

/// Receptive-field arithmetic (issue 7): the closed-form recurrence against (1) the dependency
/// intervals propagated index by index through the layer list, (2) a 1-D network with real numbers
/// computed on the whole line and on a tile, and (3) the engine's own VGG on a 2-D frame and a tile.
final class ReceptiveFieldTests: XCTestCase {
    func testKnownValuesOfVGG16AndVGG19() throws {
        let expected: [(VGGNetwork, String, size: Int, stride: Int, margin: Int)] = [
            (.vgg16, "relu1_1", 3, 1, 1),
            (.vgg16, "pool1", 6, 2, 2),
            (.vgg16, "relu4_2", 76, 8, 34),
            (.vgg16, "relu5_1", 132, 16, 58),
            (.vgg16, "relu5_3", 196, 16, 90),
            (.vgg16, "pool5", 212, 32, 90),
            (.vgg19, "relu4_2", 84, 8, 38),
            (.vgg19, "relu5_1", 156, 16, 70),
            (.vgg19, "relu5_4", 252, 16, 118),
        ]
        for (network, layer, size, stride, margin) in expected {
            let field = try ReceptiveField.of(layer: layer, network: network)
            XCTAssertEqual([field.size, field.stride, field.margin], [size, stride, margin], "\(network) \(layer)")
            XCTAssertEqual(field.offset, -margin, "VGG's fields are symmetric about the owned cell")
            XCTAssertEqual(field.margin, (field.size - field.stride) / 2)
        }
        // The defaults (style relu1_1…relu5_1, content relu4_2): the deepest decides.
        let defaults = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1", "relu4_2"]
        XCTAssertEqual(try ReceptiveField.margin(forDeepestOf: defaults, network: .vgg16), 58)
        XCTAssertEqual(try ReceptiveField.margin(forDeepestOf: defaults, network: .vgg19), 70)
        XCTAssertEqual(try ReceptiveField.margin(forDeepestOf: [], network: .vgg16), 0)
        XCTAssertEqual(try ReceptiveField.of(layer: "relu5_1", network: .vgg16).inputSpan(ofActivation: 2), -26...105)
        XCTAssertThrowsError(try ReceptiveField.of(layer: "relu5_4", network: .vgg16)) {
            XCTAssertEqual($0 as? VGGError, .unknownLayer("relu5_4", network: .vgg16))
            XCTAssertTrue("\($0)".contains("relu5_3"), "the message lists the valid layers")
        }
        XCTAssertThrowsError(try ReceptiveField.margin(forDeepestOf: ["relu1_1", "conv1_1"], network: .vgg16))
    }

    /// Propagates, for every activation of every layer, the interval of input indices it reads —
    /// conv: i − 1 … i + 1 within the input (zero padding reads nothing); pool: 2i, 2i + 1 — and checks
    /// the recurrence's span for every activation far enough from the line's ends.
    func testRecurrenceMatchesIndexPropagationForEveryLayer() throws {
        let n = 1024
        for network in VGGNetwork.allCases {
            // spans[i] = (first, last) input index activation i depends on.
            var spans = (0 ..< n).map { ($0, $0) }
            for layer in network.layers {
                switch layer {
                case .convolution:
                    let old = spans
                    spans = old.indices.map { i in (old[max(0, i - 1)].0, old[min(old.count - 1, i + 1)].1) }
                case .pool:
                    let old = spans
                    spans = (0 ..< old.count / 2).map { i in (old[2 * i].0, old[2 * i + 1].1) }
                }
                let field = try ReceptiveField.of(layer: layer.outputName, network: network)
                var checked = 0
                for (i, span) in spans.enumerated() {
                    let expected = field.inputSpan(ofActivation: i)
                    guard expected.lowerBound >= 0, expected.upperBound < n else { continue }
                    XCTAssertEqual(span.0 ... span.1, expected, "\(network) \(layer.outputName) activation \(i)")
                    checked += 1
                }
                XCTAssertGreaterThan(checked, 0, "\(network) \(layer.outputName)")
            }
        }
    }

    /// A 1-D network with VGG's layer list, random 3-tap kernels and average pooling, in Double:
    /// computed on the whole line and on a tile. With the tile starting on the pooling grid and
    /// reaching `margin` past the core, the activations owning core pixels are bit-identical; one pixel
    /// less on the right changes one of them.
    func testMarginIsExactlyWhatATileNeeds() throws {
        for (network, layer) in [(VGGNetwork.vgg16, "relu5_1"), (.vgg16, "relu4_2"), (.vgg19, "relu5_4"), (.vgg19, "relu3_1")] {
            let field = try ReceptiveField.of(layer: layer, network: network)
            let j = field.stride, m = field.margin
            var random = SeededRandom(seed: 9)
            let line = (0 ..< 40 * 16 + 7).map { _ in Double(random.nextGaussian()) }
            let kernels = network.layers.map { _ in (0 ..< 3).map { _ in Double(random.nextGaussian()) } }
            func run(_ x: [Double]) -> [Double] {
                var a = x
                for (l, step) in network.layers.enumerated() {
                    switch step {
                    case .convolution:
                        let k = kernels[l], b = a
                        a = b.indices.map { (i: Int) -> Double in
                            let before: Double = i > 0 ? k[0] * b[i - 1] : 0
                            let after: Double = i + 1 < b.count ? k[2] * b[i + 1] : 0
                            return before + k[1] * b[i] + after
                        }
                    case .pool:
                        let b = a
                        a = (0 ..< b.count / 2).map { (i: Int) -> Double in 0.5 * (b[2 * i] + b[2 * i + 1]) }
                    }
                    if step.outputName == layer { return a }
                }
                return a
            }
            let whole = run(line)
            let coreStart = 12 * 16, coreEnd = 20 * 16
            let left = TestAlign.up(m, 16)   // the tile must start on the pooling grid
            func tile(rightHalo: Int) -> (matches: Bool, compared: Int) {
                let start = coreStart - left, end = coreEnd + rightHalo
                let part = run(Array(line[start ..< end]))
                var compared = 0
                for i in coreStart / j ..< coreEnd / j {
                    let t = i - start / j
                    guard t < part.count, part[t] == whole[i] else { return (false, compared) }
                    compared += 1
                }
                return (true, compared)
            }
            let enough = tile(rightHalo: m)
            XCTAssertTrue(enough.matches, "\(network) \(layer): margin \(m) suffices")
            XCTAssertEqual(enough.compared, (coreEnd - coreStart) / j)
            XCTAssertFalse(tile(rightHalo: m - 1).matches, "\(network) \(layer): margin \(m) is the minimum")
        }
    }

    /// The engine's VGG-16 (seeded weights, Winograd kernels, max pooling) on a 240×240 frame and on a
    /// 160×160 tile whose 32×32 core sits at (80, 80) with a 64 px halo: relu5_1 over the core agrees
    /// to rounding (the Winograd blocks fall differently, so not bit for bit). A 48 px halo (below the
    /// margin of 58) does not: the activations at the core's edge then see 10 px of zero padding.
    func testEngineVGGActivationsOverATileCoreMatchTheFrame() throws {
        let vgg = try VGG.seededRandomWeights(.vgg16, pooling: .max, seed: 5)
        var random = SeededRandom(seed: 11)
        let size = 240
        let frame = Tensor(channels: 3, height: size, width: size,
                           data: (0 ..< 3 * size * size).map { _ in 50 * random.nextGaussian() })
        let deepest = try vgg.layerIndex("relu5_1")
        func relu51(_ input: Tensor) -> Tensor {
            var tape = VGGTape()
            vgg.forward(input, through: deepest, tape: &tape)
            return tape.outputs[deepest]
        }
        func crop(_ t: Tensor, _ x: Int, _ y: Int, _ w: Int, _ h: Int) -> Tensor {
            var out = Tensor(channels: t.channels, height: h, width: w)
            for c in 0 ..< t.channels { for r in 0 ..< h { for i in 0 ..< w { out[c, r, i] = t[c, y + r, x + i] } } }
            return out
        }
        let whole = relu51(frame)
        let scale = whole.data.map { abs($0) }.max()!
        func worstDifference(halo: Int) -> Float {
            let origin = 80 - halo
            let part = relu51(crop(frame, origin, origin, 32 + 2 * halo, 32 + 2 * halo))
            var worst: Float = 0
            for c in 0 ..< whole.channels {
                for y in 5 ..< 7 { for x in 5 ..< 7 {
                    worst = max(worst, abs(part[c, y - origin / 16, x - origin / 16] - whole[c, y, x]))
                } }
            }
            return worst / scale
        }
        // Measured: 1.8e-6 with 64 px, 1.3e-2 with 48 px (relative to the largest activation).
        XCTAssertLessThan(worstDifference(halo: 64), 1e-4)
        XCTAssertGreaterThan(worstDifference(halo: 48), 1e-3)
    }
}

enum TestAlign {
    static func up(_ value: Int, _ alignment: Int) -> Int { (value + alignment - 1) / alignment * alignment }
}

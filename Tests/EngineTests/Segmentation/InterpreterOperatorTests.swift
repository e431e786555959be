import Foundation
import XCTest
@testable import Engine

/// The interpreter's operators against direct, loop-by-loop implementations of TFLite's definitions, on
/// small random tensors with the cases the DeepLab graphs do not all exercise (VALID padding, dilation
/// with stride, depth multiplier, the three resize conventions, broadcasting).
final class SegmentationInterpreterOperatorTests: XCTestCase {
    private var rng = SeededRandom(seed: 11)

    override func setUp() {
        EngineThreads.set(2)
    }

    private func random(_ count: Int) -> [Float] {
        (0..<count).map { _ in rng.nextUnitFloat() * 2 - 1 }
    }

    private func assertClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-4, _ message: String = "",
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, message, file: file, line: line)
    }

    func testGeometryMatchesTFLitePaddingRules() throws {
        let first = try XCTUnwrap(ConvolutionGeometry(inHeight: 513, inWidth: 513, kernelHeight: 3, kernelWidth: 3,
                                                      strideY: 2, strideX: 2, paddingCode: 0))
        XCTAssertEqual([first.outHeight, first.outWidth, first.padTop, first.padLeft], [257, 257, 1, 1])
        let even = try XCTUnwrap(ConvolutionGeometry(inHeight: 8, inWidth: 8, kernelHeight: 3, kernelWidth: 3,
                                                     strideY: 2, strideX: 2, paddingCode: 0))
        // total padding (4 − 1)·2 + 3 − 8 = 1: none before, one after.
        XCTAssertEqual([even.outHeight, even.padTop], [4, 0])
        let dilated = try XCTUnwrap(ConvolutionGeometry(inHeight: 33, inWidth: 33, kernelHeight: 3, kernelWidth: 3,
                                                        strideY: 1, strideX: 1, dilationY: 4, dilationX: 4, paddingCode: 0))
        XCTAssertEqual([dilated.outHeight, dilated.padTop], [33, 4])
        let pool = try XCTUnwrap(ConvolutionGeometry(inHeight: 33, inWidth: 33, kernelHeight: 33, kernelWidth: 33,
                                                     strideY: 33, strideX: 33, paddingCode: 1))
        XCTAssertEqual([pool.outHeight, pool.outWidth], [1, 1])
        let valid = try XCTUnwrap(ConvolutionGeometry(inHeight: 10, inWidth: 9, kernelHeight: 3, kernelWidth: 2,
                                                      strideY: 2, strideX: 3, dilationY: 2, paddingCode: 1))
        XCTAssertEqual([valid.outHeight, valid.outWidth], [3, 3])
        XCTAssertNil(ConvolutionGeometry(inHeight: 2, inWidth: 2, kernelHeight: 3, kernelWidth: 3, strideY: 1, strideX: 1,
                                         paddingCode: 1))
        XCTAssertNil(ConvolutionGeometry(inHeight: 4, inWidth: 4, kernelHeight: 3, kernelWidth: 3, strideY: 0, strideX: 1,
                                         paddingCode: 0))
        XCTAssertNil(ConvolutionGeometry(inHeight: 4, inWidth: 4, kernelHeight: 3, kernelWidth: 3, strideY: 1, strideX: 1,
                                         paddingCode: 7))
    }

    /// Direct convolution (TFLite: OHWI filters, NHWC data, zero padding).
    private func directConvolution(_ x: [Float], _ g: ConvolutionGeometry, cin: Int, cout: Int, batch: Int,
                                   weights: [Float], bias: [Float]) -> [Float] {
        var y = [Float](repeating: 0, count: batch * g.outHeight * g.outWidth * cout)
        for n in 0..<batch { for oy in 0..<g.outHeight { for ox in 0..<g.outWidth { for o in 0..<cout {
            var sum = bias[o]
            for ky in 0..<g.kernelHeight { for kx in 0..<g.kernelWidth {
                let iy = oy * g.strideY - g.padTop + ky * g.dilationY, ix = ox * g.strideX - g.padLeft + kx * g.dilationX
                guard iy >= 0, iy < g.inHeight, ix >= 0, ix < g.inWidth else { continue }
                for i in 0..<cin {
                    sum += x[((n * g.inHeight + iy) * g.inWidth + ix) * cin + i]
                        * weights[((o * g.kernelHeight + ky) * g.kernelWidth + kx) * cin + i]
                }
            }}
            y[((n * g.outHeight + oy) * g.outWidth + ox) * cout + o] = sum
        }}}}
        return y
    }

    func testConvolutionMatchesDirectLoops() throws {
        let cases: [(h: Int, w: Int, k: Int, stride: Int, dilation: Int, padding: Int, cin: Int, cout: Int, batch: Int)] = [
            (9, 7, 3, 2, 1, 0, 3, 5, 1), (9, 7, 3, 1, 2, 0, 4, 6, 2), (10, 11, 3, 2, 2, 1, 2, 3, 1),
            (6, 6, 1, 1, 1, 0, 8, 7, 2), (6, 5, 1, 2, 1, 1, 3, 4, 1), (5, 5, 5, 1, 1, 0, 2, 2, 1),
            // Small maps with 40 output channels: the GEMM is split by output channels (32 + 8).
            (6, 6, 1, 1, 1, 0, 8, 40, 2), (9, 7, 3, 2, 1, 0, 3, 40, 1),
        ]
        for c in cases {
            let g = try XCTUnwrap(ConvolutionGeometry(inHeight: c.h, inWidth: c.w, kernelHeight: c.k, kernelWidth: c.k,
                                                      strideY: c.stride, strideX: c.stride, dilationY: c.dilation,
                                                      dilationX: c.dilation, paddingCode: c.padding))
            let x = random(c.batch * c.h * c.w * c.cin), w = random(c.cout * c.k * c.k * c.cin), b = random(c.cout)
            let shape = [c.batch, g.outHeight, g.outWidth, c.cout]
            let op = Conv2DOperator(inputs: [0], output: 1, outputShape: shape, batch: c.batch, geometry: g,
                                    inChannels: c.cin, outChannels: c.cout, weights: w, bias: b,
                                    transform: OutputTransform(lower: -0.5, upper: 0.75))
            var out = NHWCTensor(shape: shape)
            op.execute([NHWCTensor(shape: [c.batch, c.h, c.w, c.cin], data: x)], into: &out)
            let expected = directConvolution(x, g, cin: c.cin, cout: c.cout, batch: c.batch, weights: w, bias: b)
                .map { min(max($0, -0.5), 0.75) }
            assertClose(out.data, expected, "\(c)")
        }
    }

    func testDepthwiseConvolutionMatchesDirectLoops() throws {
        // 5 channels take the general loops; 24 (a multiple of 8, multiplier 1) the register-blocked path
        // (one block of 16, one of 8), here also with rounding to a quantization step.
        let cases = [(1, 1, 1, 0), (2, 1, 1, 0), (1, 2, 1, 0), (2, 2, 2, 0), (1, 1, 3, 1), (1, 6, 1, 0), (3, 5, 1, 0)]
        for (stride, dilation, multiplier, padding) in cases {
        for cin in multiplier == 1 ? [5, 24] : [5] {
            let h = 9, w = 8, cout = cin * multiplier, batch = 2
            let transform = cin == 24 && stride == 1 ? OutputTransform(lower: 0, upper: 6, step: 0.03125) : OutputTransform(lower: 0, upper: 6)
            let g = try XCTUnwrap(ConvolutionGeometry(inHeight: h, inWidth: w, kernelHeight: 3, kernelWidth: 3,
                                                      strideY: stride, strideX: stride, dilationY: dilation,
                                                      dilationX: dilation, paddingCode: padding))
            let x = random(batch * h * w * cin), weights = random(9 * cout), bias = random(cout)
            let shape = [batch, g.outHeight, g.outWidth, cout]
            let op = DepthwiseConv2DOperator(inputs: [0], output: 1, outputShape: shape, batch: batch, geometry: g,
                                             inChannels: cin, multiplier: multiplier, weights: weights, bias: bias,
                                             transform: transform)
            var out = NHWCTensor(shape: shape)
            op.execute([NHWCTensor(shape: [batch, h, w, cin], data: x)], into: &out)
            var expected = [Float](repeating: 0, count: out.data.count)
            for n in 0..<batch { for oy in 0..<g.outHeight { for ox in 0..<g.outWidth { for ic in 0..<cin { for m in 0..<multiplier {
                let oc = ic * multiplier + m
                var sum = bias[oc]
                for ky in 0..<3 { for kx in 0..<3 {
                    let iy = oy * stride - g.padTop + ky * dilation, ix = ox * stride - g.padLeft + kx * dilation
                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                    sum += x[((n * h + iy) * w + ix) * cin + ic] * weights[(ky * 3 + kx) * cout + oc]
                }}
                let clamped = min(max(sum, 0), 6)
                expected[((n * g.outHeight + oy) * g.outWidth + ox) * cout + oc] =
                    transform.step > 0 ? (clamped / transform.step).rounded(.toNearestOrEven) * transform.step : clamped
            }}}}}
            assertClose(out.data, expected, "stride \(stride) dilation \(dilation) multiplier \(multiplier) channels \(cin)")
        }
        }
    }

    func testAveragePoolCountsOnlyPixelsInside() throws {
        let g = try XCTUnwrap(ConvolutionGeometry(inHeight: 5, inWidth: 5, kernelHeight: 3, kernelWidth: 3,
                                                  strideY: 2, strideX: 2, paddingCode: 0))
        let x = (0..<25).map { Float($0) }
        let op = AveragePool2DOperator(inputs: [0], output: 1, outputShape: [1, 3, 3, 1], batch: 1, geometry: g,
                                       channels: 1, transform: .identity)
        var out = NHWCTensor(shape: [1, 3, 3, 1])
        op.execute([NHWCTensor(shape: [1, 5, 5, 1], data: x)], into: &out)
        // SAME, pad 1: the top-left window covers rows/cols 0…1 only → mean of 0, 1, 5, 6.
        XCTAssertEqual(out.data[0], 3, accuracy: 1e-6)
        // Centre window rows/cols 1…3.
        XCTAssertEqual(out.data[4], 12, accuracy: 1e-6)
        XCTAssertEqual(out.data[8], (18 + 19 + 23 + 24) / 4, accuracy: 1e-6)
    }

    /// TFLite's float RESIZE_BILINEAR, written out from its definition.
    private func directResize(_ x: [Float], inH: Int, inW: Int, c: Int, outH: Int, outW: Int, align: Bool, half: Bool) -> [Float] {
        func source(_ o: Int, _ inSize: Int, _ outSize: Int) -> (Int, Int, Float) {
            let scale = align && outSize > 1 ? Float(inSize - 1) / Float(outSize - 1) : Float(inSize) / Float(outSize)
            let v = half ? (Float(o) + 0.5) * scale - 0.5 : Float(o) * scale
            let lo = max(Int(v.rounded(.down)), 0), hi = min(Int(v.rounded(.up)), inSize - 1)
            return (lo, hi, v - Float(lo))
        }
        var y = [Float](repeating: 0, count: outH * outW * c)
        for oy in 0..<outH { for ox in 0..<outW {
            let (y0, y1, fy) = source(oy, inH, outH), (x0, x1, fx) = source(ox, inW, outW)
            for ch in 0..<c {
                func at(_ yy: Int, _ xx: Int) -> Float { x[(yy * inW + xx) * c + ch] }
                y[(oy * outW + ox) * c + ch] = at(y0, x0) * (1 - fy) * (1 - fx) + at(y1, x0) * fy * (1 - fx)
                    + at(y0, x1) * (1 - fy) * fx + at(y1, x1) * fy * fx
            }
        }}
        return y
    }

    func testResizeBilinearConventions() {
        for (align, half) in [(false, false), (true, false), (false, true)] {
            for (inH, inW, outH, outW) in [(4, 5, 9, 7), (7, 6, 3, 4), (1, 3, 4, 5), (33, 33, 513, 513)] {
                let c = 3
                let x = random(inH * inW * c)
                let op = ResizeBilinearOperator(
                    inputs: [0], output: 1, outputShape: [1, outH, outW, c], batch: 1, inHeight: inH, inWidth: inW, channels: c,
                    rows: BilinearAxis(inSize: inH, outSize: outH, alignCorners: align, halfPixelCenters: half),
                    columns: BilinearAxis(inSize: inW, outSize: outW, alignCorners: align, halfPixelCenters: half),
                    transform: .identity)
                var out = NHWCTensor(shape: [1, outH, outW, c])
                op.execute([NHWCTensor(shape: [1, inH, inW, c], data: x)], into: &out)
                assertClose(out.data, directResize(x, inH: inH, inW: inW, c: c, outH: outH, outW: outW, align: align, half: half),
                            "align \(align) half \(half) \(inH)x\(inW)→\(outH)x\(outW)")
            }
        }
        // align_corners maps corners to corners exactly.
        let axis = BilinearAxis(inSize: 33, outSize: 513, alignCorners: true, halfPixelCenters: false)
        XCTAssertEqual(axis.lower.last, 32)
        XCTAssertEqual(axis.weight.last ?? 1, 0, accuracy: 1e-6)
        XCTAssertEqual(axis.lower[16], 1)
        XCTAssertEqual(axis.weight[16], 0, accuracy: 1e-6)
    }

    func testAddAndMultiplyBroadcast() {
        let a = random(2 * 4 * 5 * 3), b = random(3), c = random(4)
        let add = BinaryElementwiseOperator(inputs: [0], output: 2, outputShape: [2, 4, 5, 3], kind: .add, lhs: .input(0),
                                            rhs: .constant(b), lhsShape: [2, 4, 5, 3], rhsShape: [1, 1, 1, 3],
                                            transform: .identity)
        var out = NHWCTensor(shape: [2, 4, 5, 3])
        add.execute([NHWCTensor(shape: [2, 4, 5, 3], data: a)], into: &out)
        assertClose(out.data, a.indices.map { a[$0] + b[$0 % 3] })

        let mul = BinaryElementwiseOperator(inputs: [0, 1], output: 2, outputShape: [2, 4, 5, 3], kind: .multiply,
                                            lhs: .input(1), rhs: .input(0), lhsShape: [1, 4, 1, 1], rhsShape: [2, 4, 5, 3],
                                            transform: OutputTransform(lower: 0))
        mul.execute([NHWCTensor(shape: [2, 4, 5, 3], data: a), NHWCTensor(shape: [4, 1, 1], data: c)], into: &out)
        assertClose(out.data, a.indices.map { max(0, a[$0] * c[($0 / 15) % 4]) })
    }

    func testConcatenationAlongChannelsAndRows() {
        let a = random(2 * 3 * 2), b = random(2 * 3 * 4)
        let channels = ConcatenationOperator(inputs: [0, 1], output: 2, outputShape: [1, 2, 3, 6], outerCount: 6,
                                             blockSizes: [2, 4], transform: .identity)
        var out = NHWCTensor(shape: [1, 2, 3, 6])
        channels.execute([NHWCTensor(shape: [1, 2, 3, 2], data: a), NHWCTensor(shape: [1, 2, 3, 4], data: b)], into: &out)
        var expected = [Float]()
        for p in 0..<6 { expected += a[(p * 2)..<(p * 2 + 2)]; expected += b[(p * 4)..<(p * 4 + 4)] }
        XCTAssertEqual(out.data, expected)

        let rows = ConcatenationOperator(inputs: [0, 1], output: 2, outputShape: [1, 5, 2, 1], outerCount: 1,
                                         blockSizes: [4, 6], transform: .identity)
        var stacked = NHWCTensor(shape: [1, 5, 2, 1])
        let top = random(4), bottom = random(6)
        rows.execute([NHWCTensor(shape: [1, 2, 2, 1], data: top), NHWCTensor(shape: [1, 3, 2, 1], data: bottom)], into: &stacked)
        XCTAssertEqual(stacked.data, top + bottom)
    }

    func testUnaryActivations() {
        let x: [Float] = [-4, -1, 0, 0.5, 2, 7]
        func run(_ f: UnaryOperator.Function, _ t: OutputTransform) -> [Float] {
            var out = NHWCTensor(shape: [6])
            UnaryOperator(inputs: [0], output: 1, outputShape: [6], function: f, transform: t)
                .execute([NHWCTensor(shape: [6], data: x)], into: &out)
            return out.data
        }
        XCTAssertEqual(run(.identity, OutputTransform(lower: 0, upper: 6)), [0, 0, 0, 0.5, 2, 6])
        assertClose(run(.logistic, .identity), x.map { 1 / (1 + expf(-$0)) }, tolerance: 1e-6)
        assertClose(run(.hardSwish, .identity), [0, -1.0 / 3, 0, 0.5 * 3.5 / 6, 2 * 5 / 6, 7], tolerance: 1e-6)
    }

    func testQuantizationEmulationClampsAndRoundsToTheGrid() throws {
        let model = try SegmentationTestSupport.model(SegmentationTestSupport.halfModel)
        // A uint8 tensor: the transform's range is scale · ([0, 255] − zero point) and values land on the grid.
        let tensor = try XCTUnwrap(model.subgraphs[0].tensors.first { $0.type == .uint8 && ($0.quantization?.zeroPoint[0] ?? 0) > 0
                                                                        && model.data(of: $0).isEmpty })
        let q = try XCTUnwrap(tensor.quantization)
        let t = OutputTransform.identity.quantized(by: tensor)
        XCTAssertEqual(t.lower, q.scale[0] * (0 - Float(q.zeroPoint[0])), accuracy: 1e-6)
        XCTAssertEqual(t.upper, q.scale[0] * (255 - Float(q.zeroPoint[0])), accuracy: 1e-5)
        var values: [Float] = [-1000, 0.3 * q.scale[0], 2.6 * q.scale[0], 1000]
        values.withUnsafeMutableBufferPointer { t.apply($0.baseAddress!, count: 4) }
        XCTAssertEqual(values[0], t.lower, accuracy: 1e-6)
        XCTAssertEqual(values[1], 0)
        XCTAssertEqual(values[2], 3 * q.scale[0], accuracy: 1e-6)
        XCTAssertEqual(values[3], t.upper, accuracy: 1e-5)
    }

    func testHalfPrecisionWidening() {
        XCTAssertEqual(ConstantTensor.halfToFloat(0x3C00), 1)
        XCTAssertEqual(ConstantTensor.halfToFloat(0xC000), -2)
        XCTAssertEqual(ConstantTensor.halfToFloat(0x3555), 0.333251953125)
        XCTAssertEqual(ConstantTensor.halfToFloat(0x0001), Float(sign: .plus, exponent: -24, significand: 1))
        XCTAssertEqual(ConstantTensor.halfToFloat(0x7BFF), 65504)
        XCTAssertEqual(ConstantTensor.halfToFloat(0x7C00), .infinity)
        XCTAssertTrue(ConstantTensor.halfToFloat(0x7E00).isNaN)
        XCTAssertEqual(ConstantTensor.halfToFloat(0x8000).sign, .minus)
    }

    func testPerChannelDequantization() throws {
        let model = try SegmentationTestSupport.model(SegmentationTestSupport.fullModel)
        let graph = model.subgraphs[0]
        // Every conv filter dequantizes to scale · (q − zero point); check one against its raw bytes.
        let op = graph.operators[0]
        let filter = graph.tensors[op.inputs[1]]
        let q = try XCTUnwrap(filter.quantization)
        let values = try ConstantTensor.floats(filter, in: model)
        let raw = Array(model.data(of: filter))
        for i in stride(from: 0, to: raw.count, by: 37) {
            let ch = q.isPerChannel ? (i / (filter.elementCount / filter.shape[0])) : 0
            XCTAssertEqual(values[i], q.scale[ch] * (Float(raw[i]) - Float(q.zeroPoint[ch])), accuracy: 1e-6)
        }
        // The int32 bias uses its own scale (input scale × filter scale).
        let bias = graph.tensors[op.inputs[2]]
        let biasValues = try ConstantTensor.floats(bias, in: model)
        XCTAssertEqual(biasValues.count, filter.shape[0])
        XCTAssertTrue(biasValues.allSatisfy { $0.isFinite && abs($0) < 100 })
    }
}

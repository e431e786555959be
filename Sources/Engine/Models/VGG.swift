/// The convolutional part of a pretrained VGG network, executable forward and backward (input gradient).
///
/// Inputs are VGG tensors: BGR, 0–255 scale, minus the ImageNet mean [103.939, 116.779, 123.68] (see
/// `VGGPreprocessing`). Forward stops at the deepest layer a caller needs; activations are kept on a
/// `VGGTape` so the backward pass can reuse them, and the tape's buffers are reused across iterations.
public final class VGG: @unchecked Sendable {
    public let network: VGGNetwork
    public let pooling: PoolingKind
    /// The executed layers in order (convolution+ReLU and pooling).
    public let layers: [VGGLayer]
    private let convolutions: [Conv3x3Layer]

    /// Builds the network from per-convolution weights (OIHW) and biases, in `network.convolutionNames` order.
    public init(network: VGGNetwork, pooling: PoolingKind,
                convolutionWeights: [(weights: [Float], bias: [Float])]) throws {
        self.network = network
        self.pooling = pooling
        self.layers = network.layers
        let names = network.convolutionNames
        guard convolutionWeights.count == names.count else {
            throw VGGError.missingWeights(names[min(convolutionWeights.count, names.count - 1)], network: network)
        }
        var convolutions: [Conv3x3Layer] = []
        for layer in layers {
            guard case .convolution(let c) = layer else { continue }
            let (w, b) = convolutionWeights[c.index]
            let expected = [c.outChannels, c.inChannels, 3, 3]
            guard w.count == expected.reduce(1, *) else {
                throw VGGError.weightShapeMismatch(name: names[c.index] + ".weight", expected: expected, found: [w.count])
            }
            guard b.count == c.outChannels else {
                throw VGGError.weightShapeMismatch(name: names[c.index] + ".bias", expected: [c.outChannels], found: [b.count])
            }
            convolutions.append(Conv3x3Layer(weights: w, bias: b, inChannels: c.inChannels, outChannels: c.outChannels))
        }
        self.convolutions = convolutions
    }

    /// Index in `layers` of the layer whose output activation is `name` (e.g. `relu4_2`, `pool3`).
    public func layerIndex(_ name: String) throws -> Int {
        guard let i = layers.firstIndex(where: { $0.outputName == name }) else {
            throw VGGError.unknownLayer(name, network: network)
        }
        return i
    }

    /// Runs layers 0…`last` on `input`, storing every layer's output on `tape`.
    public func forward(_ input: Tensor, through last: Int, tape: inout VGGTape) {
        tape.prepare(layerCount: last + 1)
        tape.input = input
        for i in 0...last {
            let source = i == 0 ? tape.input : tape.outputs[i - 1]
            switch layers[i] {
            case .convolution(let c):
                convolutions[c.index].forward(source, relu: true, into: &tape.outputs[i])
            case .pool:
                Pool2x2.forward(source, kind: pooling, into: &tape.outputs[i])
            }
        }
    }

    /// Back-propagates the gradients that losses accumulated on the tape (`VGGTape.accumulateGradient`)
    /// down to the input, writing ∂L/∂input into `inputGradient`.
    public func backward(tape: inout VGGTape, into inputGradient: inout Tensor) {
        let count = tape.outputs.count
        guard let deepest = (0..<count).last(where: { tape.hasGradient[$0] }) else {
            inputGradient = Tensor(channels: tape.input.channels, height: tape.input.height, width: tape.input.width)
            return
        }
        // tape.inputGradients[i] receives ∂L/∂(input of layer i) = ∂L/∂(output of layer i − 1).
        for i in stride(from: deepest, through: 0, by: -1) {
            if i != deepest && tape.hasGradient[i] {
                Self.add(tape.gradients[i], into: &tape.inputGradients[i + 1])
            }
            let input = i == 0 ? tape.input : tape.outputs[i - 1]
            var outputGradient = Tensor(channels: 0, height: 0, width: 0)
            if i == deepest { swap(&outputGradient, &tape.gradients[i]) } else { swap(&outputGradient, &tape.inputGradients[i + 1]) }
            switch layers[i] {
            case .convolution(let c):
                convolutions[c.index].backwardInput(outputGradient, reluOutput: tape.outputs[i], into: &tape.inputGradients[i])
            case .pool:
                Pool2x2.backward(input: input, output: tape.outputs[i], gradient: outputGradient, kind: pooling,
                                 into: &tape.inputGradients[i])
            }
            if i == deepest { swap(&outputGradient, &tape.gradients[i]) } else { swap(&outputGradient, &tape.inputGradients[i + 1]) }
        }
        inputGradient = tape.inputGradients[0]
    }

    private static func add(_ source: Tensor, into target: inout Tensor) {
        source.data.withUnsafeBufferPointer { s in
            target.data.withUnsafeMutableBufferPointer { t in
                for i in 0..<t.count { t[i] += s[i] }
            }
        }
    }
}

/// Activations of one forward pass and the loss gradients attached to them, with storage reused
/// across iterations.
public struct VGGTape {
    /// The network input of the last forward pass.
    public var input = Tensor(channels: 0, height: 0, width: 0)
    /// `outputs[i]` is the output of layer i.
    public var outputs: [Tensor] = []
    /// `gradients[i]` is ∂L/∂outputs[i] contributed directly by losses at layer i (valid where `hasGradient[i]`).
    public var gradients: [Tensor] = []
    public var hasGradient: [Bool] = []

    public init() {}

    /// `inputGradients[i]` is ∂L/∂(input of layer i), written by the backward pass.
    public var inputGradients: [Tensor] = []

    mutating func prepare(layerCount: Int) {
        if outputs.count != layerCount {
            outputs = Array(repeating: Tensor(channels: 0, height: 0, width: 0), count: layerCount)
            gradients = outputs
            inputGradients = outputs
        }
        hasGradient = Array(repeating: false, count: layerCount)
    }

    /// Lets a loss add its gradient with respect to layer `i`'s output. The gradient buffer is zeroed
    /// on first use after each forward pass; `body` gets the activation and the buffer to add into.
    public mutating func accumulateGradient<R>(at i: Int, _ body: (_ activation: Tensor, _ gradient: inout Tensor) -> R) -> R {
        let out = outputs[i]
        if !gradients[i].hasSameShape(as: out) {
            gradients[i] = Tensor(channels: out.channels, height: out.height, width: out.width)
        } else if !hasGradient[i] {
            gradients[i].data.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
        hasGradient[i] = true
        return body(out, &gradients[i])
    }
}

import Engine

/// What the model store knows about each network beyond its layer graph: how to validate a weight
/// file and how to tell the user to install it.
extension VGGNetwork {
    /// Checks that `weights` holds exactly this network's tensors with the right shapes.
    public func validate(_ weights: WeightFile) throws {
        guard weights.network == rawValue else { throw ModelStoreError.networkMismatch(expected: self, found: weights.network) }
        let expected = expectedWeightShapes
        for layer in convolutions {
            for name in [layer.weightName, layer.biasName] where weights.tensors[name]?.shape != expected[name] {
                throw ModelStoreError.unexpectedShape(network: self, tensor: name, expected: expected[name] ?? [],
                                                      actual: weights.tensors[name]?.shape)
            }
        }
        let extra = weights.tensors.keys.filter { expected[$0] == nil }.sorted()
        guard extra.isEmpty else { throw ModelStoreError.unexpectedTensors(network: self, names: extra) }
    }

    /// How to install this network's weights (a sentence fragment with the exact command).
    var installAdvice: String {
        self == .vgg16 ? "run `stylefarm models install`"
            : "convert them with tools/convert/ (see docs/MODELS.md) and run "
              + "`stylefarm models import --network vgg19 --file vgg19.sfw`"
    }

    /// How to replace damaged weights.
    var reinstallAdvice: String {
        self == .vgg16 ? "run `stylefarm models install --force`"
            : "convert them again (see docs/MODELS.md) and run "
              + "`stylefarm models import --network vgg19 --file vgg19.sfw`"
    }
}

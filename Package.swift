// swift-tools-version:6.1
import PackageDescription

// Module layout (see docs/ARCHITECTURE.md):
//   Engine       – tensors, numeric kernels, VGG, optimizers, image I/O, style transfer (no network, no files but images)
//   ModelStore   – obtaining, converting, verifying and caching pretrained weights and demo assets
//   Protocol     – protobuf messages and ZeroMQ framing (farm)
//   Coordinator  – job planning, scheduling, persistence, reassembly (farm)
//   Worker       – the worker process' state machine (farm)
//   stylefarm    – the command-line tool
// C libraries each get their own target: CBLAS (OpenBLAS), CPNG, CJPEG, CZMQ (system libraries) and
// CImageCodecs (a small C shim that keeps libpng/libjpeg's setjmp/longjmp error handling out of Swift),
// COpticalFlow (a C interface over OpenCV's C++ DIS optical flow), CEXR (a C interface over OpenEXR's C++ library),
// COCIO (a C interface over OpenColorIO's C++ library).
let package = Package(
    name: "StyleFarm",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "stylefarm", targets: ["stylefarm"]),
        .library(name: "Engine", targets: ["Engine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // The HTTP API and dashboard (HTTPAPI): an HTTP/1.1 server on SwiftNIO with a router and server-sent events.
        // No traits: swift-configuration and full-Foundation extras are not used.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The coordinator's /metrics: counters, gauges and histograms in the Prometheus text format.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG",
                       providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CZMQ", path: "Sources/CZMQ", pkgConfig: "libzmq",
                       providers: [.apt(["libzmq3-dev"])]),
        .target(name: "CImageCodecs", dependencies: ["CPNG", "CJPEG"], path: "Sources/CImageCodecs",
                cSettings: [.unsafeFlags(["-O2"])],
                linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]),
        // OpenCV's DIS optical flow behind a C interface (libopencv-video-dev). Debian 12 ships no
        // opencv4.pc with that package, so the header path is given directly (a local target only).
        .target(name: "COpticalFlow", path: "Sources/COpticalFlow",
                cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4", "-O2"])],
                linkerSettings: [.linkedLibrary("opencv_video"), .linkedLibrary("opencv_imgproc"),
                                 .linkedLibrary("opencv_core")]),
        // OpenEXR 3.1 behind a C interface (libopenexr-dev): its C++ exceptions stay inside the shim.
        .target(name: "CEXR", path: "Sources/CEXR",
                cxxSettings: [.unsafeFlags(["-I/usr/include/OpenEXR", "-I/usr/include/Imath", "-O2"])],
                linkerSettings: [.linkedLibrary("OpenEXR-3_1"), .linkedLibrary("Iex-3_1"), .linkedLibrary("IlmThread-3_1"),
                                 .linkedLibrary("Imath-3_1")]),
        // OpenColorIO 2.1 behind a C interface (libopencolorio-dev): bakes a config's conversion into CTF text and
        // runs baked conversions; its C++ exceptions stay inside the shim.
        .target(name: "COCIO", path: "Sources/COCIO",
                cxxSettings: [.unsafeFlags(["-I/usr/include/OpenColorIO", "-O2"])],
                linkerSettings: [.linkedLibrary("OpenColorIO")]),
        .target(name: "Engine", dependencies: ["CBLAS", "CImageCodecs", "COpticalFlow", "CEXR", "COCIO"], path: "Sources/Engine"),
        .target(name: "ModelStore",
                dependencies: ["Engine",
                               .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                               .product(name: "Crypto", package: "swift-crypto"),
                               .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                path: "Sources/ModelStore",
                exclude: ["Generated/README.md"]),
        .target(name: "Protocol",
                dependencies: ["CZMQ", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                               .product(name: "Crypto", package: "swift-crypto")],
                path: "Sources/Protocol"),
        // What a job is: its spec (wire, YAML, CLI), the checked and resolved job, frame ranges, path
        // patterns, tile settings and task regions. No I/O beyond reading a spec file and listing frames.
        .target(name: "JobModel",
                dependencies: ["Engine", .product(name: "Yams", package: "Yams")],
                path: "Sources/JobModel"),
        .target(name: "FarmWire", dependencies: ["Engine", "Protocol", "JobModel"], path: "Sources/FarmWire"),
        .target(name: "Coordinator",
                dependencies: ["Engine", "Protocol", "FarmWire", "JobModel",
                               .product(name: "Crypto", package: "swift-crypto"),
                               .product(name: "GRDB", package: "GRDB.swift"),
                               .product(name: "Prometheus", package: "swift-prometheus")],
                path: "Sources/Coordinator"),
        // The coordinator's HTTP/JSON API, server-sent events and Prometheus text (docs/HTTP.md): a shell over
        // the coordinator's in-process client channel, so every request runs the same code as a ZeroMQ client's.
        .target(name: "HTTPAPI",
                dependencies: ["Coordinator", "Engine", "Protocol", "JobModel", "FarmWire",
                               .product(name: "Hummingbird", package: "hummingbird"),
                               // HTTPS for --http on a network address (docs/HTTP.md "TLS"): swift-nio-ssl, which
                               // Hummingbird already resolves; it adds BoringSSL's build to a clean build.
                               .product(name: "HummingbirdTLS", package: "hummingbird"),
                               .product(name: "Logging", package: "swift-log"),
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                path: "Sources/HTTPAPI"),
        .target(name: "Worker",
                dependencies: ["Engine", "Protocol", "JobModel", "FarmWire",
                               .product(name: "Prometheus", package: "swift-prometheus")],
                path: "Sources/Worker"),
        // Fuzz targets (scripts/fuzz.sh builds this with libFuzzer; a normal build makes it a corpus replayer).
        .executableTarget(name: "stylefarm-fuzz",
                          dependencies: ["Engine", "Protocol", "JobModel", "FarmWire"],
                          path: "Sources/stylefarm-fuzz",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "stylefarm",
                          dependencies: ["Engine", "ModelStore", "Protocol", "JobModel", "FarmWire", "Coordinator", "Worker", "HTTPAPI",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/stylefarm"),
        // Test inputs for every test target: the shared test data (skipped cleanly when absent) and the
        // public demo images that stand in for it wherever the exact picture does not matter.
        .target(name: "TestSupport", dependencies: ["ModelStore"], path: "Tests/TestSupport"),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "ModelStore", "TestSupport"], path: "Tests/EngineTests",
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ModelStoreTests", dependencies: ["ModelStore", "Engine", "TestSupport"], path: "Tests/ModelStoreTests"),
        .testTarget(name: "ProtocolTests", dependencies: ["Protocol"], path: "Tests/ProtocolTests"),
        .testTarget(name: "WorkerTests", dependencies: ["Worker", "Engine", "Protocol", "JobModel", "FarmWire", "Coordinator"], path: "Tests/WorkerTests"),
        .testTarget(name: "JobModelTests", dependencies: ["JobModel", "FarmWire", "Protocol", "Engine"], path: "Tests/JobModelTests"),
        .testTarget(name: "HTTPAPITests", dependencies: ["HTTPAPI", "Coordinator", "Protocol", "Engine", "JobModel", "TestSupport",
                                                         .product(name: "Yams", package: "Yams")],
                    path: "Tests/HTTPAPITests"),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "JobModel", "FarmWire"], path: "Tests/CoordinatorTests"),
        .testTarget(name: "StylefarmTests", dependencies: ["stylefarm", "stylefarm-fuzz", "Engine", "ModelStore", "Protocol", "JobModel", "FarmWire", "Coordinator", "TestSupport"], path: "Tests/StylefarmTests"),
    ],
    swiftLanguageModes: [.v5]
)

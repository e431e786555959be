// The C shim (CImageCodecs) calls libjpeg and libpng, but a C target does not inherit the `link`
// directives of the system-library module maps it includes headers from; only a Swift import of those
// modules records them (autolinking). Importing them here makes every product that links Engine also
// link libjpeg and libpng16. (A `linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16")]` on
// the CImageCodecs target in Package.swift would make this file unnecessary.)
internal import CJPEG
internal import CPNG

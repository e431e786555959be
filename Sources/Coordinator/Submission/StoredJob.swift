import Engine
import Foundation
import JobModel

/// How a stored job's spec is kept in `JobRecord.spec` (JSON): the spec with absolute paths, and what was
/// decided at submit (`JobSubmission`) that a re-plan after a restart must not decide again.
struct StoredJob: Codable {
    var spec: JobSpec
    var frameWidth: Int
    var frameHeight: Int
    /// The job's style-target blobs, one per scale (stylize jobs).
    var styleTargetBlobs: [String]?
    /// Region jobs: the blobs of every style set (`RegionStyleLayout` order), one per scale each.
    var regionStyleTargetBlobs: [[String]]?
    /// Temporal jobs: the frame numbers that start a shot (listed and detected at submit), so a
    /// re-plan after a restart gives the same tasks.
    var cuts: [Int]?
    /// Tiled jobs with large style images: the parts of the style targets the workers compute
    /// (`StyleGramPart`); `styleTargetBlobs` is then empty and the targets are combined from the parts.
    var styleGramParts: [StyleGramPart]?
    /// Plates in a colour space of an OpenColorIO config: the conversion baked at submit (CTF text), so a restart
    /// neither reads the config again nor converts differently if it changed since.
    var ocioConversion: String?

    /// The stored spec resolved again, with the conversion baked at submit put back.
    func resolved() throws -> ResolvedJob {
        var job = try spec.resolve(baseDirectory: "/")
        if let ocioConversion, let space = job.plate.colorSpace {
            job.plate.colorSpace = .ocio(try OpenColorIO.Conversion.cached(name: space.name, config: space.config ?? "", ctf: ocioConversion))
        }
        return job
    }
}

import Engine

extension ResolvedJob {
    /// Every file the job reads, each once, in a stable order: content frames, styles (the job's, then the
    /// regions'), region mattes or ID maps, the OpenColorIO config (not the LUT files it may name: OpenColorIO
    /// reads those from its search path when the coordinator bakes the conversion). What the coordinator checks against its path policy at submit and
    /// what `stylefarm submit --upload` sends.
    public var inputFiles: [String] {
        var seen = Set<String>()
        var files: [String] = []
        func add(_ path: String) { if seen.insert(path).inserted { files.append(path) } }
        let frames = self.frames.frames
        if let content { for frame in frames { add(content.path(for: frame)) } }
        for style in styles { add(style) }
        if let regions {
            for assignment in regions.assignments { if case .image(let path) = assignment.style { add(path) } }
            switch regions.source {
            case .deeplab, .deeplabSmall, .selfie, .cryptomatte: break  // a Cryptomatte is in the content frames
            case .matte, .ids: for frame in frames { if let path = regions.maskPath(for: frame) { add(path) } }
            }
        }
        if case .named(_, let config) = plate.colorSpace { add(config) }
        return files
    }

    /// The job with every input path (content, styles, region styles and masks, an OpenColorIO config; not the outputs) moved under
    /// `root`: `/plates/a.0001.png` becomes `<root>/plates/a.0001.png`. The inputs must be absolute, as
    /// `resolve` makes them. This is how an uploaded job names its checkout (`CheckoutLayout`).
    public func relocatingInputs(under root: String) throws -> ResolvedJob {
        func move(_ path: String) -> String { CheckoutLayout.place(path, under: root) }
        var job = self
        if let content { job.content = try PathPattern(move(content.text)) }
        job.styles = styles.map(move)
        if var regions {
            for i in regions.assignments.indices {
                if case .image(let path) = regions.assignments[i].style { regions.assignments[i].style = .image(move(path)) }
            }
            switch regions.source {
            case .deeplab, .deeplabSmall, .selfie, .cryptomatte: break
            case .matte(let path): regions.source = .matte(path: move(path))
            case .ids(let path): regions.source = .ids(path: move(path))
            }
            if let pattern = regions.maskPattern { regions.maskPattern = try PathPattern(move(pattern.text)) }
            job.regions = regions
        }
        if case .named(let name, let config) = plate.colorSpace { job.plate.colorSpace = .named(name, config: move(config)) }
        return job
    }
}

extension TemporalTargets {
    /// The temporal targets of one tile of a frame (issue 7): every target (warped result and certainty) and
    /// the start image, made for the whole frame, scaled to the frame size of the tile's scale
    /// (`frameWidth`×`frameHeight`) with the same resampling `StyleTransfer` applies at each scale of a whole
    /// frame, then cropped to `rect`. A tile run at `rect`'s size therefore sees exactly the crop of what the
    /// whole frame's run sees at that scale.
    public func cropped(frameWidth: Int, frameHeight: Int, to rect: PixelRect) throws -> TemporalTargets {
        func crop(_ image: Image) throws -> Image {
            try image.toRGB().resized(width: frameWidth, height: frameHeight)
                .cropped(x: rect.x, y: rect.y, width: rect.width, height: rect.height)
        }
        let tiles = try targets.map { target in
            let certainty = try RegionMasks.resample(target.certainty, width: target.warped.width, height: target.warped.height,
                                                     toWidth: frameWidth, height: frameHeight)
            let plane = try Image(width: frameWidth, height: frameHeight, channels: 1, pixels: certainty)
                .cropped(x: rect.x, y: rect.y, width: rect.width, height: rect.height)
            return Target(warped: try crop(target.warped), certainty: plane.pixels)
        }
        return TemporalTargets(targets: tiles, weight: weight, initializeFromWarped: initializeFromWarped,
                               initialImage: try initialImage.map(crop))
    }
}

extension StyleTransfer {
    /// A whole frame of `plate` stylized toward `styleTargets` (one per scale), as `stylefarm stylize`, a farm worker
    /// and `stylefarm verify` all render it. A plate with transparent pixels (issue 20) is stylized as two regions:
    /// the opaque part takes the style, its Gram statistics weighted by the alpha (guides averaged through the network,
    /// so a soft edge counts by its coverage), and the transparent part stays photoreal and comes back as the plate
    /// (`RegionPlan.opaque`, `restoringPhotoreal`). An opaque plate gets the plain objective.
    public func stylize(plate: Plate, styleTargets: [StyleTargets], parameters: StyleTransferParameters,
                        temporal: TemporalTargets? = nil,
                        progress: ((StyleTransferProgress) -> Bool)? = nil) throws -> StyleTransferResult {
        let content = plate.working
        guard let alpha = try plate.alpha(width: content.width, height: content.height, toLongerSide: parameters.size),
              let plan = RegionPlan.opaque(alpha: alpha.pixels, width: alpha.width, height: alpha.height) else {
            return try stylize(content: content, styles: [], parameters: parameters, styleTargets: styleTargets,
                               temporal: temporal, progress: progress)
        }
        let sized = try content.toRGB().resized(width: alpha.width, height: alpha.height)
        var result = try stylize(content: sized, regions: RegionStylization(plan: plan, propagation: .average),
                                 styleTargets: [styleTargets], parameters: parameters, temporal: temporal, progress: progress)
        result.image = plan.restoringPhotoreal(result.image, content: sized)
        return result
    }
}

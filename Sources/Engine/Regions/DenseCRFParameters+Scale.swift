extension DenseCRFParameters {
    /// The CRF's positional standard deviations scaled to a frame whose longer side is `longerSide` pixels.
    ///
    /// Krähenbühl & Koltun's defaults (θα = 80 px for the appearance kernel, θγ = 3 px for smoothness) were
    /// tuned on PASCAL VOC images, about 500 px on the longer side. At a frame's output size (often 128–2048 px)
    /// the same pixel values would make the appearance kernel span the whole of a small frame — everything
    /// becomes the dominant class — or a small patch of a large one. Scaling them with the frame keeps the
    /// kernels over the same part of the picture; θγ stays at least 1 px. The colour term θβ is unchanged.
    public func scaled(forLongerSide longerSide: Int, reference: Int = 500) -> DenseCRFParameters {
        var p = self
        let s = Float(max(1, longerSide)) / Float(reference)
        p.thetaAlpha = thetaAlpha * s
        p.thetaGamma = max(1, thetaGamma * s)
        return p
    }
}

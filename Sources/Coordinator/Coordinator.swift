/// The coordinator breaks jobs (image sequences × styles) into per-frame and per-tile tasks, hands them
/// to workers over ZeroMQ, tracks and persists their state, and reassembles frames. It is built by the
/// farm issue; this namespace marks the module's place in the package (see docs/ARCHITECTURE.md).
public enum CoordinatorModule {
    public static let name = "coordinator"
}

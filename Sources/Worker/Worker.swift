/// A worker connects to the coordinator, heartbeats, pulls tasks, runs the Engine and returns results.
/// It is built by the farm issue; this namespace marks the module's place in the package
/// (see docs/ARCHITECTURE.md).
public enum WorkerModule {
    public static let name = "worker"
}

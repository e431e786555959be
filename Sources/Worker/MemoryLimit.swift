import Foundation

/// The memory this worker may use: the machine's, or less where a control group limits the process — a
/// Kubernetes container's `resources.limits.memory`, a Slurm job's `--mem` (cgroup plugin), a systemd unit's
/// `MemoryMax=`. The coordinator sizes tiles from what the worker reports (`TileMemoryModel.taskBytes`), so a
/// worker in an 8 GiB container must not report its host's 512 GiB.
public enum MemoryLimit {
    /// `physicalMemory`, lowered to the limit of the process's cgroup (v2 `memory.max`, v1
    /// `memory.limit_in_bytes`) when there is one. `root` is the file-system root (tests pass a folder).
    public static func ofThisProcess(physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory,
                                     root: String = "/") -> UInt64 {
        var limit = physicalMemory
        for candidate in cgroupLimitFiles(root: root) {
            if let value = readLimit(candidate), value > 0 { limit = min(limit, value) }
        }
        return limit
    }

    /// The limit files of the cgroups in `/proc/self/cgroup` (`0::/path` for v2, `N:memory:/path` for v1),
    /// under the cgroup file system's usual mount points. Inside a container with its own cgroup namespace the
    /// path is `/`, which names the container's own limit.
    static func cgroupLimitFiles(root: String) -> [String] {
        let base = (root as NSString).appendingPathComponent("sys/fs/cgroup")
        guard let text = try? String(contentsOfFile: (root as NSString).appendingPathComponent("proc/self/cgroup"), encoding: .utf8)
        else { return [] }
        var files: [String] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            guard !path.contains("..") else { continue }
            if fields[0] == "0" && fields[1].isEmpty {
                files.append(base + path + "/memory.max")                  // v2, unified at /sys/fs/cgroup
                files.append(base + "/unified" + path + "/memory.max")     // v2 in a hybrid layout
            } else if fields[1].split(separator: ",").contains("memory") {
                files.append(base + "/memory" + path + "/memory.limit_in_bytes")
            }
        }
        return files
    }

    /// A limit file's bytes; nil for `max`, v1's "unlimited" (a page-rounded `Int64.max`) or anything unreadable.
    static func readLimit(_ path: String) -> UInt64? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        guard let value = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)), value < (1 << 62) else { return nil }
        return value
    }
}

import Foundation
import Protocol

/// Preemption (`--preempt-above P`, issue 18): when a job at priority ≥ P has tasks ready and no worker has a free
/// slot, running tasks of lower-priority jobs are called back to the queue (their attempts end as cancelled and are
/// not counted), the most recently started first (the least work lost). The freed slots go to the urgent job, since
/// the claim takes the highest priority first. At most one round every ``preemptionCooldown`` seconds, so a worker
/// has time to stop the task and announce its slot before more are called back.
extension CoordinatorServer {
    static let preemptionCooldown: TimeInterval = 2

    func preemptIfUrgent() {
        guard let threshold = configuration.preemptAbove else { return }
        let now = clock.now()
        guard now >= nextPreemption else { return }
        // Only when no live worker can take work now: a free slot will take the urgent task anyway.
        guard liveness.workersWithCredit.isEmpty else { return }
        guard let urgent = try? store.readyTasks(atOrAbove: threshold, limit: 64), urgent.count > 0 else { return }
        // Looked at the farm's running tasks: not again before the cooldown, victims found or not.
        nextPreemption = now.addingTimeInterval(Self.preemptionCooldown)
        guard let held = try? store.inFlightTasks(), let jobs = try? store.listJobs() else { return }
        let priority = Dictionary(uniqueKeysWithValues: jobs.map { ($0.id, $0.priority) })
        let victims = held.filter { (priority[$0.jobID] ?? 0) < urgent.priority && $0.assignedWorker != nil }
            .sorted { (assigned[$0.id]?.sentAt ?? 0) > (assigned[$1.id]?.sentAt ?? 0) }
            .prefix(urgent.count)
        guard !victims.isEmpty else { return }
        for task in victims { recall(task, reason: "preempted by a job at priority \(urgent.priority)") }
        log("preempted \(victims.count) running task(s) of lower jobs for \(urgent.count) ready task(s) at priority \(urgent.priority)")
    }
}

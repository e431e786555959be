/// A value handed to another thread to be freed there: the loop must not spend its time on a big deallocation
/// (a million-frame job's context and plan take 0.4 s to free). The thread calls ``release()``.
final class Doomed<Value>: @unchecked Sendable {
    private var value: Value?
    init(_ value: Value?) { self.value = value }
    func release() { value = nil }
}

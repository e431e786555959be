/// Where a task's input blobs come from. The executor only needs this narrow view; `BlobCache` conforms,
/// and the worker's transport can put a fetching source in front of it.
public protocol BlobSource: AnyObject {
    /// The bytes of the blob named `sha256`; throws `BlobStoreError.missing` when it cannot be had.
    func blob(_ sha256: String) throws -> [UInt8]
}

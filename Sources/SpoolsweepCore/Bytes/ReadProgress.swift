import Synchronization

/// How far the reading of the logs has got, for a progress line: the bytes and files the line
/// readers have been through, against what `begin` announced. Every pass over the logs counts
/// (one per thread, as each reads every line for its share, and the dialect's own totals), so
/// the figures shown are divided by the passes. Updated once per file and every 8 MiB of a
/// mapped file: nothing in the line loop.
public final class ReadProgress: Sendable {
    public static let shared = ReadProgress()

    private let bytes = Atomic<Int>(0), files = Atomic<Int>(0)
    private let totalBytes = Atomic<Int>(0), totalFiles = Atomic<Int>(0), passes = Atomic<Int>(0)

    /// What a progress line shows: bytes and files of one pass, of their totals.
    public struct Snapshot: Sendable, Equatable {
        public let bytes, totalBytes, files, totalFiles: Int
    }

    /// Starts counting a reading of `paths` in `passes` passes.
    func begin(paths: [String], passes: Int) {
        var size = 0
        for p in paths { size += max(0, FileSystem.status(p)?.size ?? 0) }
        bytes.store(0, ordering: .relaxed)
        files.store(0, ordering: .relaxed)
        totalBytes.store(size, ordering: .relaxed)
        totalFiles.store(paths.count, ordering: .relaxed)
        self.passes.store(max(1, passes), ordering: .releasing)
    }

    @inline(__always) func add(bytes n: Int) { bytes.wrappingAdd(n, ordering: .relaxed) }
    func fileDone() { files.wrappingAdd(1, ordering: .relaxed) }

    /// Nothing until a reading has begun.
    public var snapshot: Snapshot? {
        let p = passes.load(ordering: .acquiring)
        guard p > 0 else { return nil }
        let total = totalBytes.load(ordering: .relaxed), count = totalFiles.load(ordering: .relaxed)
        return Snapshot(bytes: min(total, bytes.load(ordering: .relaxed) / p), totalBytes: total,
                        files: min(count, files.load(ordering: .relaxed) / p), totalFiles: count)
    }
}

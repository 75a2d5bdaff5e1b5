import CSystemShims
import Dispatch
import Glibc

/// Work split over threads: contiguous slices of the input, one result per slice, gathered in
/// the input's order, so the output never depends on the number of threads.
public enum Parallel {
    /// The threads `--threads` asks for: 0 means one per core this process may run on
    /// (`taskset -c 0` makes it one).
    public static func threads(_ requested: Int) -> Int {
        requested > 0 ? requested : Int(spoolsweep_cpu_count())
    }

    /// `body(slice)` for `slices` contiguous slices of `0..<count` (fewer when the input is
    /// small), run at once on as many threads; the results in slice order.
    static func map<R>(count: Int, slices: Int, minimumPerSlice: Int = 1, _ body: @Sendable (Range<Int>) -> R) -> [R] {
        let n = max(1, min(slices, count / max(1, minimumPerSlice)))
        if n == 1 { return [body(0..<count)] }
        let results = Results<R>(n)
        DispatchQueue.concurrentPerform(iterations: n) { i in
            results.set(i, body((count * i / n)..<(count * (i + 1) / n)))
        }
        return results.values
    }

    /// `body(&worker, chunk)` for contiguous chunks of `0..<count` (`chunk` items each, the last
    /// one shorter), on `threads` threads that each make one `worker` (their own state: buffers,
    /// compiled patterns) and take the next chunk as they finish one; the results in chunk order.
    ///
    /// Taking chunks as they come, not one fixed slice per thread, keeps every thread busy to the
    /// end when one of them is slowed (a core shared with another process): the others take over
    /// its share, and the last wait is at most one chunk long.
    static func chunks<Worker, R>(
        count: Int, threads: Int, chunk: Int, worker: @Sendable () -> Worker,
        _ body: @Sendable (inout Worker, Range<Int>) -> R
    ) -> [R] {
        let chunk = max(1, chunk)
        let n = (count + chunk - 1) / chunk
        let range = { @Sendable (i: Int) in (i * chunk)..<min(count, (i + 1) * chunk) }
        if threads <= 1 || n <= 1 {
            var w = worker()
            return (0..<n).map { body(&w, range($0)) }
        }
        let results = Results<R>(n), next = ChunkCounter()
        DispatchQueue.concurrentPerform(iterations: min(threads, n)) { _ in
            var w = worker()
            while let i = next.take(below: n) { results.set(i, body(&w, range(i))) }
        }
        return results.values
    }

    /// Reads the message files `items` name on `threads` threads: `read` gets a slice, gives the
    /// messages it finds to `found`, and returns what its slice saw. The messages are then
    /// visited, and the diagnostics added, in the items' order.
    static func readMessages<Item: Sendable>(
        _ items: [Item], threads: Int, diagnostics: inout Diagnostics, visit: (QueuedMessage) -> Void,
        read: @Sendable (ArraySlice<Item>, _ found: (QueuedMessage) -> Void) -> Diagnostics
    ) {
        let parts = chunks(count: items.count, threads: threads, chunk: readChunk, worker: {}) { _, range in
            var messages: [QueuedMessage] = []
            let seen = read(items[range]) { messages.append($0) }
            return (messages, seen)
        }
        for (messages, seen) in parts {
            diagnostics.append(seen)
            messages.forEach(visit)
        }
    }

    /// Runs `beside` on another thread while `here` runs on this one; both results.
    static func both<A, B: Sendable>(_ here: () -> A, beside: @escaping @Sendable () -> B) -> (A, B) {
        let result = Results<B>(1)
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { result.set(0, beside()) }
        let a = here()
        group.wait()
        return (a, result.values[0])
    }

    /// Messages per chunk of a parallel read or selection: enough that taking a chunk costs
    /// nothing beside reading it, few enough that a slowed thread holds up little.
    static let readChunk = 32

    /// The next chunk to take, shared by the threads of `chunks`.
    private final class ChunkCounter: @unchecked Sendable {
        private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private var next = 0
        init() { pthread_mutex_init(lock, nil) }
        deinit {
            pthread_mutex_destroy(lock)
            lock.deallocate()
        }
        func take(below n: Int) -> Int? {
            pthread_mutex_lock(lock)
            defer { pthread_mutex_unlock(lock) }
            guard next < n else { return nil }
            next += 1
            return next - 1
        }
    }

    /// One slot per slice, each written by one thread only.
    private final class Results<R>: @unchecked Sendable {
        private var slots: [R?]
        init(_ n: Int) { slots = Array(repeating: nil, count: n) }
        func set(_ i: Int, _ value: R) { slots.withUnsafeMutableBufferPointer { $0[i] = value } }
        var values: [R] { slots.map { $0! } }
    }
}

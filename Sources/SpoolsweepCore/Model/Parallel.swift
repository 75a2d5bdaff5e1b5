import CSystemShims
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
        onThreads(n) { i in results.set(i, body((count * i / n)..<(count * (i + 1) / n))) }
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
        onThreads(min(threads, n)) { _ in
            var w = worker()
            while let i = next.take(below: n) { results.set(i, body(&w, range(i))) }
        }
        return results.values
    }

    /// Reads the message files `items` name on `threads` threads: `read` gets a slice, gives the
    /// messages it finds to `found`, and returns what its slice saw. The messages are then
    /// visited, and the diagnostics added, in the items' order.
    ///
    /// The items are read a window at a time (`window` items, every thread on it), and each
    /// window's messages visited before the next is read: at most one window's messages are
    /// held, however many the folder has (issue #14: memory that does not grow with the spool).
    static func readMessages<Item: Sendable>(
        _ items: [Item], threads: Int, window: Int = readWindow, diagnostics: inout Diagnostics,
        visit: (QueuedMessage) -> Void,
        read: @Sendable (ArraySlice<Item>, _ found: (QueuedMessage) -> Void) -> Diagnostics
    ) {
        let window = max(1, window)
        var start = items.startIndex
        while start < items.endIndex {
            let end = min(items.endIndex, start + window), base = start
            let parts = chunks(count: end - start, threads: threads, chunk: readChunk, worker: {}) { _, range in
                var messages: [QueuedMessage] = []
                let seen = read(items[(base + range.lowerBound)..<(base + range.upperBound)]) { messages.append($0) }
                return (messages, seen)
            }
            for (messages, seen) in parts {
                diagnostics.append(seen)
                messages.forEach(visit)
            }
            start = end
        }
    }

    /// Items a parallel read holds the messages of at once (`readMessages`), and messages a
    /// streamed selection holds at once (`SpoolStream`): a few megabytes of messages,
    /// enough chunks of `readChunk` that every thread stays busy.
    public static let readWindow = 4096

    /// `produce(i)` for every `i` in `0..<count` on `threads` threads, taken in order, and
    /// `consume(i, result)` on this thread in order as each result is ready, while the threads
    /// go on: at most `ahead` results wait to be consumed (the memory they hold is bounded).
    static func stream<R>(
        count: Int, threads: Int, ahead: Int, produce: @Sendable (Int) -> R, consume: (Int, R) -> Void
    ) {
        if threads <= 1 || count <= 1 {
            for i in 0..<count { consume(i, produce(i)) }
            return
        }
        let queue = StreamSlots<R>(count: count, ahead: max(1, ahead))
        withoutActuallyEscaping(produce) { produce in
            let workers = (0..<min(threads, count)).map { _ in
                start(Box { while let i = queue.take() { queue.put(i, produce(i)) } })
            }
            for i in 0..<count { consume(i, queue.wait(i)) }
            for t in workers { pthread_join(t, nil) }
        }
    }

    /// The results of `stream`: the next index to produce, and each result until it is consumed.
    private final class StreamSlots<R>: @unchecked Sendable {
        private var mutex = pthread_mutex_t(), changed = pthread_cond_t()
        private var slots: [R?]
        private var next = 0, consumed = 0
        private let ahead: Int

        init(count: Int, ahead: Int) {
            slots = Array(repeating: nil, count: count)
            self.ahead = ahead
            pthread_mutex_init(&mutex, nil)
            pthread_cond_init(&changed, nil)
        }
        deinit {
            pthread_mutex_destroy(&mutex)
            pthread_cond_destroy(&changed)
        }

        /// The next index to produce, once fewer than `ahead` results wait; nil when all are taken.
        func take() -> Int? {
            pthread_mutex_lock(&mutex)
            defer { pthread_mutex_unlock(&mutex) }
            while next < slots.count && next - consumed >= ahead { pthread_cond_wait(&changed, &mutex) }
            guard next < slots.count else { return nil }
            next += 1
            return next - 1
        }

        func put(_ i: Int, _ r: R) {
            pthread_mutex_lock(&mutex)
            slots[i] = r
            pthread_cond_broadcast(&changed)
            pthread_mutex_unlock(&mutex)
        }

        /// Result `i` once produced, taken out (the slot keeps no copy).
        func wait(_ i: Int) -> R {
            pthread_mutex_lock(&mutex)
            defer { pthread_mutex_unlock(&mutex) }
            while slots[i] == nil { pthread_cond_wait(&changed, &mutex) }
            let r = slots[i].take()!
            consumed = i + 1
            pthread_cond_broadcast(&changed)
            return r
        }
    }

    /// Runs `beside` on another thread while `here` runs on this one; both results.
    static func both<A, B: Sendable>(_ here: () -> A, beside: @escaping @Sendable () -> B) -> (A, B) {
        let result = Results<B>(1)
        let box = Box { result.set(0, beside()) }
        let thread = start(box)
        let a = here()
        pthread_join(thread, nil)
        return (a, result.values[0])
    }

    /// `body(i)` for every `i` in `0..<n`, each on a thread of its own (this one runs 0), all
    /// at once: a thread pool may run "concurrent" work one after another on a busy machine.
    static func onThreads(_ n: Int, _ body: @Sendable (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let threads = (1..<max(1, n)).map { i in start(Box { body(i) }) }
            body(0)
            for t in threads { pthread_join(t, nil) }
        }
    }

    private final class Box: @unchecked Sendable {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    private static func start(_ box: Box) -> pthread_t {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(box).toOpaque()
        let rc = pthread_create(&thread, nil, { p in
            Unmanaged<Box>.fromOpaque(p!).takeRetainedValue().run()
            return nil
        }, context)
        precondition(rc == 0, "cannot start a thread (\(rc))")
        return thread
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

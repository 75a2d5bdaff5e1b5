import CSystemShims
import Dispatch

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

    /// Reads the message files `items` name on `threads` threads: `read` gets a slice, gives the
    /// messages it finds to `found`, and returns what its slice saw. The messages are then
    /// visited, and the diagnostics added, in the items' order.
    static func readMessages<Item: Sendable>(
        _ items: [Item], threads: Int, diagnostics: inout Diagnostics, visit: (QueuedMessage) -> Void,
        read: @Sendable (ArraySlice<Item>, _ found: (QueuedMessage) -> Void) -> Diagnostics
    ) {
        let parts = map(count: items.count, slices: threads, minimumPerSlice: 64) { range in
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

    /// One slot per slice, each written by one thread only.
    private final class Results<R>: @unchecked Sendable {
        private var slots: [R?]
        init(_ n: Int) { slots = Array(repeating: nil, count: n) }
        func set(_ i: Int, _ value: R) { slots.withUnsafeMutableBufferPointer { $0[i] = value } }
        var values: [R] { slots.map { $0! } }
    }
}

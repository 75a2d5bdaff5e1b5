import Glibc
import Testing
@testable import SpoolsweepCore

@Suite struct ParallelTests {
    @Test func chunksComeBackInOrderWhateverTheThreads() {
        for count in [0, 1, 5, 127, 128, 129, 1000] {
            for chunk in [1, 7, 128] {
                let want = stride(from: 0, to: count, by: chunk).map { $0..<min(count, $0 + chunk) }
                for threads in [1, 2, 3, 16] {
                    let got = Parallel.chunks(count: count, threads: threads, chunk: chunk, worker: { 0 }) { seen, range in
                        seen += 1 // the worker's own state, kept from chunk to chunk
                        return range
                    }
                    #expect(got == want, "count \(count), chunk \(chunk), \(threads) threads")
                }
            }
        }
    }

    @Test func eachThreadMakesOneWorker() {
        final class Made: @unchecked Sendable {
            var count = 0
            let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
            init() { pthread_mutex_init(lock, nil) }
        }
        let made = Made()
        let sums = Parallel.chunks(count: 1000, threads: 2, chunk: 10, worker: { () -> Int in
            pthread_mutex_lock(made.lock)
            made.count += 1
            pthread_mutex_unlock(made.lock)
            return 0
        }) { _, range in range.reduce(0, +) }
        #expect(sums.reduce(0, +) == 999 * 1000 / 2)
        #expect(made.count <= 2)
    }
}

import CZlib

/// Decompresses a gzip file (a rotated `mail.log.2.gz`) as it is read, through zlib; several
/// concatenated gzip members are read one after the other, as `zcat` does.
final class GzipReader {
    private var stream = z_stream()
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    private var inputEnded = false
    private var finished = false
    /// The last member ended; the data ends here unless more follows.
    private var betweenMembers = false

    init() {
        _ = spoolsweep_inflate_init_gzip(&stream)
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    /// Fills `output` with decompressed bytes; 0 at the end of the data.
    func read(from source: borrowing ByteSource, into output: UnsafeMutableRawBufferPointer) throws(FileReadError) -> Int {
        guard !finished, output.count > 0 else { return 0 }
        stream.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(output.count)
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputEnded {
                let n = try source.read(into: input)
                if n == 0 { inputEnded = true } else {
                    stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = uInt(n)
                }
            }
            if stream.avail_in == 0 && inputEnded {
                if betweenMembers { finished = true; break }
                throw .damaged("compressed log cut short (.gz ends mid-stream)")
            }
            if betweenMembers {
                inflateReset(&stream) // another gzip member follows
                betweenMembers = false
            }
            let rc = inflate(&stream, Z_NO_FLUSH)
            if rc == Z_STREAM_END {
                betweenMembers = true
            } else if rc != Z_OK && rc != Z_BUF_ERROR {
                throw .damaged("damaged .gz data (zlib error \(rc))")
            }
        }
        return output.count - Int(stream.avail_out)
    }
}

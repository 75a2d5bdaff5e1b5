import CPCRE2

/// A pattern the user gave that PCRE2 could not compile.
public struct PatternError: Error, Equatable, Sendable, CustomStringConvertible {
    /// PCRE2's own message, e.g. "missing closing parenthesis".
    public let message: String
    /// The byte offset in the pattern where PCRE2 stopped.
    public let offset: Int
    public var description: String { "\(message) at offset \(offset)" }
}

/// The outcome of matching one subject.
public enum MatchOutcome: Equatable, Sendable {
    case match
    case noMatch
    /// PCRE2 gave up: the match, depth or heap limit was reached (a catastrophic pattern).
    case limitExceeded
    /// Any other PCRE2 failure, with its message.
    case failed(String)
}

/// A compiled PCRE2 pattern (UTF-8, Unicode properties, tolerant of invalid UTF-8 in subjects),
/// JIT-compiled where the platform allows and interpreted otherwise, with a match limit so a
/// hostile pattern fails fast instead of hanging.
///
/// One `Pattern` owns its match data: use one instance per thread (`copy()` makes another).
public final class Pattern: @unchecked Sendable {
    public static let defaultMatchLimit: UInt32 = 1_000_000

    /// The pattern as the user wrote it.
    public let source: String
    public let caseless: Bool
    public let matchLimit: UInt32
    /// Whether the JIT compiler accepted the pattern.
    public let isJIT: Bool

    private let code: OpaquePointer
    private let matchData: OpaquePointer
    private let context: OpaquePointer
    private let jitStack: OpaquePointer?

    public init(_ source: String, caseless: Bool = false, matchLimit: UInt32 = Pattern.defaultMatchLimit) throws(PatternError) {
        self.source = source
        self.caseless = caseless
        self.matchLimit = matchLimit
        var options = UInt32(PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF)
        if caseless { options |= UInt32(PCRE2_CASELESS) }
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        var pattern = source
        let compiled = pattern.withUTF8 { p in
            pcre2_compile_8(p.baseAddress, p.count, options, &errorCode, &errorOffset, nil)
        }
        guard let compiled else {
            throw PatternError(message: Pattern.message(for: errorCode), offset: errorOffset)
        }
        code = compiled
        isJIT = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
        matchData = pcre2_match_data_create_from_pattern_8(compiled, nil)
        context = pcre2_match_context_create_8(nil)
        pcre2_set_match_limit_8(context, matchLimit)
        pcre2_set_depth_limit_8(context, matchLimit)
        pcre2_set_heap_limit_8(context, 64 * 1024) // KiB
        if isJIT {
            jitStack = pcre2_jit_stack_create_8(32 * 1024, 1024 * 1024, nil)
            pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(jitStack))
        } else {
            jitStack = nil
        }
    }

    deinit {
        if let jitStack { pcre2_jit_stack_free_8(jitStack) }
        pcre2_match_context_free_8(context)
        pcre2_match_data_free_8(matchData)
        pcre2_code_free_8(code)
    }

    /// Another instance of the same pattern, for another thread.
    public func copy() -> Pattern {
        // The source compiled once already, so it compiles again.
        try! Pattern(source, caseless: caseless, matchLimit: matchLimit)
    }

    /// Searches `subject` (any bytes; invalid UTF-8 never matches a character but is no error).
    public func match(_ subject: UnsafeRawBufferPointer) -> MatchOutcome {
        let base = subject.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? Pattern.empty
        let rc = pcre2_match_8(code, base, subject.count, 0, 0, matchData, context)
        if rc >= 0 { return .match }
        switch rc {
        case PCRE2_ERROR_NOMATCH, PCRE2_ERROR_PARTIAL: return .noMatch
        case PCRE2_ERROR_MATCHLIMIT, PCRE2_ERROR_DEPTHLIMIT, PCRE2_ERROR_HEAPLIMIT, PCRE2_ERROR_JIT_STACKLIMIT:
            return .limitExceeded
        default: return .failed(Pattern.message(for: rc))
        }
    }

    public func match(_ subject: String) -> MatchOutcome {
        var s = subject
        return s.withUTF8 { match(UnsafeRawBufferPointer($0)) }
    }

    private nonisolated(unsafe) static let empty: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.pointee = 0
        return UnsafePointer(p)
    }()

    static func message(for code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = pcre2_get_error_message_8(code, &buffer, buffer.count)
        return n > 0 ? String(decoding: buffer[0..<Int(n)], as: UTF8.self) : "PCRE2 error \(code)"
    }
}

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
/// A pattern that starts with literal text has a `LiteralPrefilter`: a subject without that text
/// does not match without PCRE2 running, and PCRE2 starts at the text's first occurrence. The
/// outcome is PCRE2's on the whole subject (one exception: where the text is absent, a pattern
/// that would have hit the match limit there simply does not match).
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
    /// nil: PCRE2 reads every subject whole.
    let prefilter: LiteralPrefilter?

    public convenience init(_ source: String, caseless: Bool = false, matchLimit: UInt32 = Pattern.defaultMatchLimit) throws(PatternError) {
        try self.init(source, caseless: caseless, matchLimit: matchLimit, prefiltered: true)
    }

    /// `prefiltered: false` leaves out the literal prefilter (the tests compare with PCRE2 alone).
    init(_ source: String, caseless: Bool, matchLimit: UInt32, prefiltered: Bool) throws(PatternError) {
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
        prefilter = prefiltered ? Pattern.prefilter(source, caseless: caseless, compiled) : nil
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
        try! Pattern(source, caseless: caseless, matchLimit: matchLimit, prefiltered: prefilter != nil)
    }

    /// The prefilter for `source`, when its literal start agrees with what PCRE2 found the
    /// pattern must start with (a second opinion on the prefilter's reading of the pattern).
    private static func prefilter(_ source: String, caseless: Bool, _ code: OpaquePointer) -> LiteralPrefilter? {
        guard let prefilter = LiteralPrefilter(pattern: source, caseless: caseless) else { return nil }
        var type: UInt32 = 0, unit: UInt32 = 0
        guard pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_FIRSTCODETYPE), &type) == 0, type == 1,
              pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_FIRSTCODEUNIT), &unit) == 0, unit < 0x80,
              LiteralPrefilter.fold(UInt8(unit)) == LiteralPrefilter.fold(prefilter.literal[0]) else { return nil }
        return prefilter
    }

    /// Searches `subject` (any bytes; invalid UTF-8 never matches a character but is no error).
    public func match(_ subject: UnsafeRawBufferPointer) -> MatchOutcome {
        let base = subject.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? Pattern.empty
        var start = 0
        if let prefilter {
            guard let at = prefilter.firstOccurrence(in: subject) else { return .noMatch }
            start = at // no match can begin before it
        }
        let rc = pcre2_match_8(code, base, subject.count, start, 0, matchData, context)
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

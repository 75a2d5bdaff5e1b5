import Glibc

/// A wall-clock time of the mail server, in seconds, without a time zone.
///
/// SmarterMail writes local times and puts the date only in log file names; spoolsweep keeps
/// every time as the server wrote it (seconds since 1970-01-01 00:00 of that naive calendar) and
/// compares it with the local time of the machine it runs on. Run it on the server, or give
/// `--now` when reading a copy from another time zone.
public struct LocalTime: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01 00:00 of the naive calendar (logs carry milliseconds).
    public var milliseconds: Int64

    public init(seconds: Int64) { milliseconds = seconds &* 1000 }
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// Whole seconds (rounded down).
    public var seconds: Int64 {
        milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
    }

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.init(seconds: LocalTime.days(year: year, month: month, day: day) * 86_400
            + Int64(hour * 3600 + minute * 60 + second))
    }

    /// The machine's current local time.
    public static func now() -> LocalTime { LocalTime(unixTime: Int(time(nil))) }

    /// The local wall-clock time of a Unix time (a file's modification time).
    public init(unixTime: Int) {
        var t = time_t(unixTime)
        var parts = tm()
        localtime_r(&t, &parts)
        self.init(seconds: Int64(unixTime) + Int64(parts.tm_gmtoff))
    }

    public static func < (a: LocalTime, b: LocalTime) -> Bool { a.milliseconds < b.milliseconds }

    /// Days since 1970-01-01.
    public var day: Int64 { seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400 }
    public var secondOfDay: Int { Int(seconds - day * 86_400) }
    public var hour: Int { secondOfDay / 3600 }
    public var startOfDay: LocalTime { LocalTime(seconds: day * 86_400) }

    public func adding(seconds s: Int64) -> LocalTime { LocalTime(milliseconds: milliseconds + s * 1000) }

    /// `2026-11-28`
    public var dateString: String {
        let (y, m, d) = LocalTime.civil(day)
        return "\(y)-\(pad(m))-\(pad(d))"
    }

    /// `2026-11-28 02:41:07`
    public var description: String {
        let s = secondOfDay
        return "\(dateString) \(pad(s / 3600)):\(pad(s / 60 % 60)):\(pad(s % 60))"
    }

    /// `02:41`
    public var hourMinute: String {
        let s = secondOfDay
        return "\(pad(s / 3600)):\(pad(s / 60 % 60))"
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` or `YYYY-MM-DD HH:MM[:SS]`.
    public static func parse(_ text: String) -> LocalTime? {
        let u = Array(text.utf8)
        func num(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= u.count else { return nil }
            return u[r].withUnsafeBytes { $0.decimalValue }
        }
        guard u.count >= 10, u[4] == 0x2D, u[7] == 0x2D,
              let y = num(0..<4), let m = num(5..<7), let d = num(8..<10),
              (1...12).contains(m), (1...daysIn(month: m, year: y)).contains(d) else { return nil }
        if u.count == 10 { return LocalTime(year: y, month: m, day: d) }
        guard u[10] == 0x54 || u[10] == 0x20, u.count == 16 || u.count == 19, u[13] == 0x3A,
              let h = num(11..<13), let mi = num(14..<16), h < 24, mi < 60 else { return nil }
        var s = 0
        if u.count == 19 {
            guard u[16] == 0x3A, let sec = num(17..<19), sec < 60 else { return nil }
            s = sec
        }
        return LocalTime(year: y, month: m, day: d, hour: h, minute: mi, second: s)
    }

    // MARK: - Civil calendar (proleptic Gregorian)

    public static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civil(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        return (Int(yoe + era * 400) + (m <= 2 ? 1 : 0), m, d)
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// A half-open span of server-local time that a report covers.
public struct TimeRange: Equatable, Sendable {
    public var start: LocalTime
    public var end: LocalTime   // exclusive

    public init(start: LocalTime, end: LocalTime) { self.start = start; self.end = end }

    /// The start of a range with no `--since`, and the end of one with no `--until`.
    public static let openStart = LocalTime(milliseconds: .min / 2), openEnd = LocalTime(milliseconds: .max / 2)

    /// One whole calendar day.
    public init(day: LocalTime) {
        start = day.startOfDay
        end = start.adding(seconds: 86_400)
    }

    @inline(__always) public func contains(_ t: LocalTime) -> Bool { t >= start && t < end }

    /// Whether any part of the day `day` (days since 1970) falls inside.
    public func overlaps(day: Int64) -> Bool { start.seconds < (day + 1) * 86_400 && end.seconds > day * 86_400 }
}

@inline(__always) func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

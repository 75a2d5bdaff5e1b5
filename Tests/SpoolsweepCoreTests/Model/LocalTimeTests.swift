import Testing
@testable import SpoolsweepCore

private let now = LocalTime(year: 2026, month: 11, day: 28, hour: 18, minute: 0, second: 0)

private func resolveError(date: String? = nil, since: String? = nil, until: String? = nil) -> SpoolsweepError? {
    do {
        _ = try Period.resolve(date: date, since: since, until: until, now: now)
        return nil
    } catch {
        return error
    }
}

@Suite struct LocalTimeTests {
    @Test func epochAndKnownDays() {
        #expect(LocalTime(year: 1970, month: 1, day: 1).milliseconds == 0)
        #expect(LocalTime.days(year: 2026, month: 11, day: 28) == 20_785)
        #expect(LocalTime(year: 2026, month: 11, day: 28, hour: 2, minute: 41, second: 7).seconds == 1_795_833_667)
        #expect(LocalTime(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59).seconds == -1)
        #expect(LocalTime(seconds: -1).description == "1969-12-31 23:59:59")
        #expect(LocalTime(milliseconds: -1).seconds == -1)
    }

    @Test(arguments: [
        "2026-11-28", "2024-02-29", "2000-02-29", "1970-01-01", "1999-12-31", "2100-03-01", "2026-01-31",
    ])
    func dateRoundTrips(text: String) throws {
        let t = try #require(LocalTime.parse(text))
        #expect(t.dateString == text)
        #expect(t.description == "\(text) 00:00:00")
        let c = LocalTime.civil(t.day)
        #expect([c.year, c.month, c.day] == [Int(text.prefix(4))!, Int(text.dropFirst(5).prefix(2))!, Int(text.suffix(2))!])
    }

    @Test func dateTimeForms() throws {
        #expect(LocalTime.parse("2026-11-28T02:41:07")?.description == "2026-11-28 02:41:07")
        #expect(LocalTime.parse("2026-11-28 02:41:07")?.description == "2026-11-28 02:41:07")
        #expect(LocalTime.parse("2026-11-28T02:41")?.description == "2026-11-28 02:41:00")
        #expect(LocalTime.parse("2026-11-28T23:59:59")?.hourMinute == "23:59")
        #expect(LocalTime.parse("2026-11-28T02:41:07")?.hour == 2)
    }

    @Test(arguments: [
        "2026-02-29", "2100-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-11-00",
        "2026/11/28", "2026-11-28T24:00", "2026-11-28T10:60", "2026-11-28T10:00:60", "2026-11-28X10:00",
        "2026-11-28T1:00", "26-11-28", "", "today", "2026-11-28T10:00:00Z", "+026-11-28",
    ])
    func invalidTextsDoNotParse(text: String) {
        #expect(LocalTime.parse(text) == nil)
    }

    @Test func leapYears() {
        #expect(LocalTime.daysIn(month: 2, year: 2024) == 29)
        #expect(LocalTime.daysIn(month: 2, year: 2026) == 28)
        #expect(LocalTime.daysIn(month: 2, year: 2000) == 29)
        #expect(LocalTime.daysIn(month: 2, year: 1900) == 28)
        #expect(LocalTime.daysIn(month: 2, year: 2100) == 28)
        #expect(LocalTime.daysIn(month: 11, year: 2026) == 30)
        #expect(LocalTime.daysIn(month: 12, year: 2026) == 31)
        // The day after Feb 28 in a leap year is Feb 29, else Mar 1.
        #expect(LocalTime(year: 2024, month: 2, day: 28).adding(seconds: 86_400).dateString == "2024-02-29")
        #expect(LocalTime(year: 2026, month: 2, day: 28).adding(seconds: 86_400).dateString == "2026-03-01")
        #expect(LocalTime(year: 2024, month: 12, day: 31).day - LocalTime(year: 2024, month: 1, day: 1).day == 365)
        #expect(LocalTime(year: 2026, month: 12, day: 31).day - LocalTime(year: 2026, month: 1, day: 1).day == 364)
    }

    @Test func everyDayOfFourHundredYearsRoundTrips() {
        var d = LocalTime.days(year: 1900, month: 1, day: 1)
        let end = LocalTime.days(year: 2300, month: 1, day: 1)
        var mismatches = 0
        while d < end {
            let (y, m, dd) = LocalTime.civil(d)
            if LocalTime.days(year: y, month: m, day: dd) != d || dd > LocalTime.daysIn(month: m, year: y) { mismatches += 1 }
            d += 1
        }
        #expect(mismatches == 0)
        #expect(end - LocalTime.days(year: 1900, month: 1, day: 1) == 146_097)
    }

    @Test func partsOfTheDay() {
        let t = LocalTime(milliseconds: LocalTime(year: 2026, month: 11, day: 28, hour: 23, minute: 59, second: 59).milliseconds + 999)
        #expect(t.hour == 23)
        #expect(t.secondOfDay == 86_399)
        #expect(t.startOfDay == LocalTime(year: 2026, month: 11, day: 28))
        #expect(t.description == "2026-11-28 23:59:59")
        #expect(t.adding(seconds: 1).dateString == "2026-11-29")
    }

    @Test func timeRangeOfADay() {
        let r = TimeRange(day: LocalTime(year: 2026, month: 11, day: 27, hour: 13))
        #expect(r.start == LocalTime(year: 2026, month: 11, day: 27))
        #expect(r.end == LocalTime(year: 2026, month: 11, day: 28))
        #expect(r.contains(LocalTime(year: 2026, month: 11, day: 27, hour: 23, minute: 59, second: 59)))
        #expect(!r.contains(LocalTime(year: 2026, month: 11, day: 28)))
        #expect(r.overlaps(day: LocalTime.days(year: 2026, month: 11, day: 27)))
        #expect(!r.overlaps(day: LocalTime.days(year: 2026, month: 11, day: 28)))
        #expect(!r.overlaps(day: LocalTime.days(year: 2026, month: 11, day: 26)))
    }

    // MARK: - Period

    @Test func periodToday() throws {
        let r = try Period.resolve(date: "today", since: nil, until: nil, now: now)
        #expect(r == TimeRange(start: LocalTime(year: 2026, month: 11, day: 28), end: LocalTime(year: 2026, month: 11, day: 29)))
        #expect(try Period.resolve(date: "TODAY", since: nil, until: nil, now: now) == r)
    }

    @Test func periodYesterdayAcrossAMonthAndYear() throws {
        let r = try Period.resolve(date: "yesterday", since: nil, until: nil, now: now)
        #expect(r == TimeRange(start: LocalTime(year: 2026, month: 11, day: 27), end: LocalTime(year: 2026, month: 11, day: 28)))
        let newYear = LocalTime(year: 2027, month: 1, day: 1, hour: 0, minute: 5)
        let y = try Period.resolve(date: "yesterday", since: nil, until: nil, now: newYear)
        #expect(y?.start.dateString == "2026-12-31")
        #expect(y?.end.dateString == "2027-01-01")
    }

    @Test func periodDate() throws {
        let r = try Period.resolve(date: "2024-02-29", since: nil, until: nil, now: now)
        #expect(r == TimeRange(start: LocalTime(year: 2024, month: 2, day: 29), end: LocalTime(year: 2024, month: 3, day: 1)))
    }

    @Test func periodNothingMeansEverything() throws {
        #expect(try Period.resolve(date: nil, since: nil, until: nil, now: now) == nil)
    }

    @Test func periodSinceUntilDatesIncludeTheWholeLastDay() throws {
        let r = try #require(try Period.resolve(date: nil, since: "2026-11-27", until: "2026-11-28", now: now))
        #expect(r.start == LocalTime(year: 2026, month: 11, day: 27))
        #expect(r.end == LocalTime(year: 2026, month: 11, day: 29))
    }

    @Test func periodSinceUntilDateTimesAreExact() throws {
        let r = try #require(try Period.resolve(date: nil, since: "2026-11-28T02:00", until: "2026-11-28 03:30:15", now: now))
        #expect(r.start == LocalTime(year: 2026, month: 11, day: 28, hour: 2))
        #expect(r.end == LocalTime(year: 2026, month: 11, day: 28, hour: 3, minute: 30, second: 15))
        #expect(!r.contains(r.end))
    }

    @Test func periodOpenEnded() throws {
        let since = try #require(try Period.resolve(date: nil, since: "yesterday", until: nil, now: now))
        #expect(since.start == LocalTime(year: 2026, month: 11, day: 27))
        #expect(since.contains(LocalTime(year: 2100, month: 1, day: 1)))
        let until = try #require(try Period.resolve(date: nil, since: nil, until: "today", now: now))
        #expect(until.end == LocalTime(year: 2026, month: 11, day: 29))
        #expect(until.contains(LocalTime(year: 1970, month: 1, day: 1)))
    }

    @Test func periodErrors() {
        #expect(resolveError(date: "today", since: "2026-11-01") == .badValue("--date cannot be combined with --since/--until"))
        #expect(resolveError(date: "2026-11-28", until: "2026-11-29") == .badValue("--date cannot be combined with --since/--until"))
        #expect(resolveError(date: "tomorrow") == .badValue("--date: expected today, yesterday or YYYY-MM-DD, got 'tomorrow'"))
        #expect(resolveError(date: "2026-11-28T10:00") == .badValue("--date: expected today, yesterday or YYYY-MM-DD, got '2026-11-28T10:00'"))
        #expect(resolveError(date: "2026-02-30") == .badValue("--date: expected today, yesterday or YYYY-MM-DD, got '2026-02-30'"))
        #expect(resolveError(since: "28.11.2026") == .badValue("--since: expected today, yesterday or YYYY-MM-DD, got '28.11.2026'"))
        #expect(resolveError(since: "last week") == .badValue("--since: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], got 'last week'"))
        #expect(resolveError(until: "2026-11-28T25:00") == .badValue("--until: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], got '2026-11-28T25:00'"))
        #expect(resolveError(since: "2026-11-28", until: "2026-11-27") == .badValue("--since must be before --until"))
        #expect(resolveError(since: "2026-11-28T10:00", until: "2026-11-28T10:00") == .badValue("--since must be before --until"))
        #expect(SpoolsweepError.badValue("--since must be before --until").description == "--since must be before --until")
        #expect(ExitStatus.of(SpoolsweepError.badValue("x")) == .usage)
    }
}

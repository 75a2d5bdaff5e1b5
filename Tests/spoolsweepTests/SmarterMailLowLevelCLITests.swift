import Foundation
import Testing

/// SmarterMail logs below the Detailed level (fixtures/smartermail-lowlevel): the exact reports
/// a user sees, whatever the threads, with the spool's `.hdr` files and without one of them.
@Suite(.serialized) struct SmarterMailLowLevelCLITests {
    static let now = ["--now", "2026-11-28T18:00:00"]
    static let thresholds = ["--min-domains", "2", "--rate", "2/10m"]

    /// A copy of the fixture in `name`, every file stamped 2026-11-28 12:00:00 UTC.
    static func copy(_ name: String) throws -> URL {
        let folder = try CLI.freshFolder(name)
        let copy = folder.appendingPathComponent("smartermail-lowlevel")
        try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("fixtures/smartermail-lowlevel"), to: copy)
        let stamp = Date(timeIntervalSince1970: 1_795_867_200)
        for case let url as URL in FileManager.default.enumerator(at: copy, includingPropertiesForKeys: nil)! {
            try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: url.path)
        }
        return folder
    }

    @Test(arguments: ["1", "2", "3"])
    func summaryAndSuspectsBelowDetailed(_ threads: String) throws {
        let folder = try Self.copy("lowlevel-\(threads)")
        let summary = try CLI.run(["summary", "--format", "json", "--threads", threads, "smartermail-lowlevel"], in: folder)
        try CLI.expectGolden(summary.stdout, "lowlevel-summary.json")
        #expect(summary.stderr == "")
        #expect(summary.status == 0)
        // The day the messages were accepted: the sessions begun on the 27th count once, there.
        let day = try CLI.run(["summary", "--format", "json", "--threads", threads, "--date", "2026-11-28", "smartermail-lowlevel"], in: folder)
        try CLI.expectGolden(day.stdout, "lowlevel-summary-2026-11-28.json")
        let suspects = try CLI.run(["suspects", "--threads", threads] + Self.thresholds + Self.now + ["smartermail-lowlevel"], in: folder)
        try CLI.expectGolden(suspects.stdout, "lowlevel-suspects.txt")
        #expect(suspects.stderr == "")
        #expect(suspects.status == 0)
    }

    /// The admin's first .hdr has left the spool: the message still counts, with no recipient.
    @Test func summaryWithoutTheHdr() throws {
        let folder = try Self.copy("lowlevel-no-hdr")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("smartermail-lowlevel/Spool/SubSpool3/706173251002.hdr"))
        try FileManager.default.removeItem(at: folder.appendingPathComponent("smartermail-lowlevel/Spool/SubSpool3/706173251002.eml"))
        let summary = try CLI.run(["summary", "smartermail-lowlevel"], in: folder)
        try CLI.expectGolden(summary.stdout, "lowlevel-summary-no-hdr.txt")
        #expect(summary.stderr == "")
        #expect(summary.status == 0)
    }
}

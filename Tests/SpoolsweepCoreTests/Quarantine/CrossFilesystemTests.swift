import Glibc
import Testing
@testable import SpoolsweepCore

/// A tmpfs mounted at `<dir>/mnt` for the life of the test; nil (with a visible note) when
/// this machine does not allow mounting.
private final class TmpfsMount {
    let path: String
    private init(path: String) { self.path = path }

    static func make(in dir: TempFolder, size: String) throws -> TmpfsMount? {
        let p = try dir.folder("mnt")
        guard mount("tmpfs", p, "tmpfs", 0, "size=\(size)") == 0 else {
            let code = errno
            print("SKIPPED: cannot mount tmpfs: \(String(cString: strerror(code)))")
            withKnownIssue("cannot mount tmpfs (\(String(cString: strerror(code)))); cross-filesystem test not run") {
                Issue.record("tmpfs mount failed")
            }
            return nil
        }
        return TmpfsMount(path: p)
    }

    func unmount() { _ = umount2(path, Int32(MNT_DETACH)) }
}

@Suite(.serialized) struct CrossFilesystemTests {
    @Test func quarantineAndRestoreAcrossFileSystems() throws {
        let (dir, spool) = try QTest.spoolCopy("xfs-roundtrip")
        guard let mnt = try TmpfsMount.make(in: dir, size: "8m") else { return }
        defer { mnt.unmount() }
        let original = QTest.snapshot(spool)
        let qroot = mnt.path + "/quarantine"
        let input = InputSelection(paths: [spool])

        let (report, _) = try Spoolsweep.clean(.quarantine, input, options: QTest.options(quarantineRoot: qroot))
        #expect(report.moved.count == 111)
        #expect(report.failed.map { "\($0.id): \($0.reason ?? "")" } == [])
        #expect(Set(report.skipped.map(\.id)) == QTest.writingIDs)
        let batch = qroot + "/batches/" + report.batch
        #expect(report.batchFolder == batch)
        // Copied, verified, mode and times kept, source unlinked.
        let held = QTest.snapshot(batch)
        #expect(held == original.filter { !QTest.writingFiles.contains($0.key) })
        #expect(QTest.snapshot(spool) == original.filter { QTest.writingFiles.contains($0.key) })
        #expect(!QTest.names(batch + "/SubSpool1").contains { $0.hasSuffix(FileMove.partialSuffix) })
        for f in [qroot, qroot + "/journal", qroot + "/batches", batch] + QTest.folders(batch).map({ batch + "/" + $0 }) {
            #expect(QTest.mode(f) == 0o700, "\(f)")
        }

        let (restored, _) = try Spoolsweep.restore(input, batch: report.batch, options: QTest.options(all: false, quarantineRoot: qroot))
        #expect(restored.moved.count == 111)
        #expect(restored.failed.map { "\($0.id): \($0.reason ?? "")" } == [])
        #expect(QTest.snapshot(spool) == original)
        #expect(QTest.snapshot(batch).isEmpty)
        for p in QTest.journalPaths(qroot) { #expect(try Journal.read(p).ended) }
    }

    @Test func fullQuarantineFileSystemLosesNothing() throws {
        let (dir, spool) = try QTest.spoolCopy("xfs-full")
        guard let mnt = try TmpfsMount.make(in: dir, size: "64k") else { return }
        defer { mnt.unmount() }
        let original = QTest.snapshot(spool)
        let qroot = mnt.path + "/quarantine"
        let input = InputSelection(paths: [spool])

        var texts: [String] = []
        var batchID: String?
        do {
            let (report, diagnostics) = try Spoolsweep.clean(.quarantine, input, options: QTest.options(quarantineRoot: qroot))
            batchID = report.batch
            #expect(!report.failed.isEmpty)
            // Every selected message is accounted for in the report.
            #expect(report.moved.count + report.failed.count == 111,
                    "moved \(report.moved.count), failed \(report.failed.count), skipped \(report.skipped.count), problems \(report.problems)")
            texts = report.failed.compactMap(\.reason) + report.problems + diagnostics.warnings.map(\.reason)
            // A run that could not finish its journal must say so (the next run will recover it).
            if let path = QTest.journalPaths(qroot).first, let j = try? Journal.read(path), !j.ended {
                #expect(!report.problems.isEmpty, "journal left unfinished (\(j.outcomes.count) outcomes of \(j.intents.count)) but the report has no problem")
                #expect(diagnostics.warnings.contains { $0.path == "journal" }, "no 'journal' warning for the unfinished journal")
            }
        } catch {
            texts = [error.description]
        }
        #expect(texts.contains { $0.contains("No space left on device") }, "\(texts.prefix(5))")

        // Every message is whole in exactly one place, all its files together.
        let batchFolders = QTest.names(qroot + "/batches").map { qroot + "/batches/" + $0 }
        #expect(batchFolders.count <= 1)
        let held = batchFolders.first.map(QTest.snapshot) ?? [:]
        let inSpool = QTest.snapshot(spool)
        for (message, files) in QTest.messages(original.keys) {
            let here = files.filter { inSpool[$0] != nil }, there = files.filter { held[$0] != nil }
            #expect(here.isEmpty != there.isEmpty, "\(message): spool \(here), quarantine \(there)")
            #expect(here.isEmpty || here.count == files.count, "\(message) split: spool \(here), quarantine \(there)")
            #expect(there.isEmpty || there.count == files.count, "\(message) split: spool \(here), quarantine \(there)")
            for f in here { #expect(inSpool[f]?.sha256 == original[f]?.sha256, "\(f) in the spool") }
            for f in there { #expect(held[f]?.sha256 == original[f]?.sha256, "\(f) in quarantine") }
        }
        #expect(Set(held.keys).isSubset(of: Set(original.keys)))
        // No leftovers of copies cut short.
        for b in batchFolders {
            for sub in QTest.folders(b) {
                #expect(!QTest.names(b + "/" + sub).contains { $0.hasSuffix(FileMove.partialSuffix) }, "\(sub)")
            }
        }
        // Whatever was quarantined can be listed (when the journal is intact) and nothing is lost.
        if let batchID, !held.isEmpty, let listing = try? Spoolsweep.quarantined(input, quarantineRoot: qroot) {
            let listed = Set(listing.messages.map(\.intent.id))
            let heldIDs = Set(held.keys.map { String(FileSystem.baseName($0).split(separator: ".")[0]) })
            #expect(listed.isSubset(of: heldIDs))
            _ = batchID
        }
    }
}

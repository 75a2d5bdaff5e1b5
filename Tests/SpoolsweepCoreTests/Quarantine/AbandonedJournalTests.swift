import Glibc
import Testing
@testable import SpoolsweepCore

/// A run killed while writing its journal's first line never began: recovery removes the
/// journal and reports nothing, and listings ignore it.
@Suite struct AbandonedJournalTests {
    @Test func journalWithoutAWholeHeaderIsRemoved() throws {
        let dir = try TempFolder("abandoned")
        try dir.folder("Spool")
        try dir.folder("Spool/SubSpool1")
        try dir.folder("spoolsweep-quarantine")
        try dir.folder("spoolsweep-quarantine/journal")
        try dir.write("spoolsweep-quarantine/journal/q-20261129-050000-0001.journal", "")
        try dir.write("spoolsweep-quarantine/journal/q-20261129-050000-0002.journal", #"{"spoolsweep_journal":1,"run":"q-2026"#)
        let store = try QuarantineStore(spoolRoot: dir.at("Spool"), root: nil, create: false)
        #expect(try store.journals().isEmpty)
        #expect(try store.recover() == RecoveryReport())
        #expect(FileSystem.list(dir.at("spoolsweep-quarantine/journal")) == [])
    }
}

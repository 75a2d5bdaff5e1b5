import Foundation
import Testing

/// Runs the built `spoolsweep` binary the way a user would, on a copy of the sample server.
enum CLI {
    /// The repository root (this file is Tests/spoolsweepTests/CLIHarness.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let goldenFolder = root.appendingPathComponent("fixtures/golden")

    /// The binary SwiftPM built beside this test bundle.
    static let binary: URL = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("spoolsweep")
    }()

    struct Result: Equatable {
        var stdout: String
        var stderr: String
        var status: Int32
    }

    /// A private copy of `fixtures/smartermail` in a temporary folder, every file's modification
    /// time set to 2026-11-28 12:00:00 UTC (git checkouts stamp files with the checkout time).
    static let sampleCopy: URL = {
        let temp = URL(fileURLWithPath: sampleFolderPath)
        try? FileManager.default.removeItem(at: temp)
        try! FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: CLI.sampleFolderPath) }
        let copy = temp.appendingPathComponent("smartermail")
        try! FileManager.default.copyItem(at: root.appendingPathComponent("fixtures/smartermail"), to: copy)
        let stamp = Date(timeIntervalSince1970: 1_795_867_200) // 2026-11-28 12:00:00 UTC
        let walker = FileManager.default.enumerator(at: copy, includingPropertiesForKeys: nil)!
        for case let url as URL in walker {
            try! FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: url.path)
        }
        return temp
    }()

    /// A new empty folder `name` beside the sample copy (removed when the test process exits).
    static func freshFolder(_ name: String) throws -> URL {
        _ = sampleCopy
        let folder = URL(fileURLWithPath: sampleFolderPath).appendingPathComponent(name)
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Where `sampleCopy` lives (removed when the test process exits).
    static var sampleFolderPath: String { FileManager.default.temporaryDirectory.appendingPathComponent("spoolsweep-cli-\(getpid())").path }

    /// Runs `spoolsweep args` in the folder holding the sample copy (so paths print as
    /// `smartermail/...`), with TZ=UTC.
    static func run(_ args: [String], in folder: URL? = nil, environment: [String: String] = [:]) throws -> Result {
        try run(binary, args, in: folder ?? sampleCopy, environment: ["COLUMNS": "100"].merging(environment) { $1 })
    }

    /// Runs any program with TZ=UTC and a plain PATH (plus `environment`), collecting its output.
    static func run(_ program: URL, _ args: [String], in folder: URL, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = program
        process.arguments = args
        process.currentDirectoryURL = folder
        process.environment = ["TZ": "UTC", "PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain both pipes before waiting, so a large output cannot block the child.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let done = DispatchSemaphore(value: 0)
        let errHandle = err.fileHandleForReading
        Thread { errBox.data = errHandle.readDataToEndOfFile(); done.signal() }.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        process.waitUntilExit()
        return Result(stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errBox.data, as: UTF8.self),
                      status: process.terminationStatus)
    }

    /// Starts `spoolsweep args` in `folder` and returns at once (for tests that kill it).
    static func start(_ args: [String], in folder: URL) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = args
        process.currentDirectoryURL = folder
        process.environment = ["TZ": "UTC", "PATH": "/usr/bin:/bin"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Compares `actual` with the golden file `name`; `UPDATE_GOLDEN=1 swift test` rewrites it.
    static func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = goldenFolder.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(actual == expected, "output differs from fixtures/golden/\(name) (UPDATE_GOLDEN=1 to accept)", sourceLocation: sourceLocation)
    }
}

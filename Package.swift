// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "spoolsweep",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "spoolsweep", targets: ["spoolsweep"]),
        .library(name: "SpoolsweepCore", targets: ["SpoolsweepCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // libpcre2-8 from the system (Debian/Ubuntu: libpcre2-dev).
        .systemLibrary(
            name: "CPCRE2",
            pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"]), .brew(["pcre2"])]
        ),
        // zlib from the system (Debian/Ubuntu: zlib1g-dev), for rotated .gz logs.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libzstd from the system (Debian/Ubuntu: libzstd-dev), for .zst logs and event files.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        // libzip from the system (Debian/Ubuntu: libzip-dev), for SmarterMail's zipped days.
        .systemLibrary(name: "CZip", pkgConfig: "libzip", providers: [.apt(["libzip-dev"]), .brew(["libzip"])]),
        // System calls Swift's Glibc module lacks (renameat2 with RENAME_NOREPLACE).
        .target(name: "CSystemShims"),
        // The substring search of the --body prefilter (AVX2 or SSE2 where the CPU has them).
        .target(name: "CLiteralSearch"),
        // All the logic: reading bytes, dialects, analysis, rendering. No ArgumentParser here.
        .target(
            name: "SpoolsweepCore",
            dependencies: ["CLiteralSearch", "CPCRE2", "CSystemShims", "CZip", "CZlib", "CZstd"],
            // Optimised even in debug builds: the tests kill, recover and compare thousands of
            // messages, and unoptimised generic code is 20 times slower at it.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        // The thin command-line layer.
        .executableTarget(
            name: "spoolsweep",
            dependencies: [
                "SpoolsweepCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SpoolsweepCoreTests",
            dependencies: ["SpoolsweepCore"]
        ),
        .testTarget(
            name: "spoolsweepTests",
            dependencies: ["spoolsweep"]
        ),
    ]
)

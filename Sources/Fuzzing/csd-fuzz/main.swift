import Foundation

// csd-fuzz: the fuzz targets of the parsers of untrusted bytes (see FuzzTargets.swift).
//
// Built normally it replays inputs:  csd-fuzz <target> <file or folder>...  (each input once,
// a summary of how many were read and how many refused; a crash is the finding), and
// csd-fuzz seeds <target> prints the target's seed files (tools/fuzz.sh copies them).
// Built by tools/fuzz.sh (-sanitize=fuzzer, -D CSD_FUZZING) it is a libFuzzer binary:
// CSD_FUZZ_TARGET=<target> csd-fuzz <corpus folder> [libFuzzer flags].

nonisolated(unsafe) var selected: FuzzTarget?

func usage() -> Never {
    FileHandle.standardError.write(Data("usage: csd-fuzz <\(FuzzTarget.all.map(\.name).joined(separator: "|"))> <input>...\n".utf8))
    exit(2)
}

#if CSD_FUZZING
// SwiftPM makes this file's code the process's main, so it starts libFuzzer's driver itself;
// the driver (and libFuzzer's own main, if the linker takes it) calls this for every input.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if selected == nil {
        guard let name = ProcessInfo.processInfo.environment["CSD_FUZZ_TARGET"], let target = FuzzTarget.named(name) else { usage() }
        selected = target
    }
    _ = selected!(UnsafeBufferPointer(start: data, count: size))
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzOneInput($0, $1) })
#else
let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "seeds", arguments.count == 2, let target = FuzzTarget.named(arguments.last!) {
    print(target.seeds.joined(separator: "\n"))
    exit(0)
}
guard let name = arguments.first, let target = FuzzTarget.named(name), arguments.count > 1 else { usage() }
var inputs: [URL] = []
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
        FileHandle.standardError.write(Data("csd-fuzz: \(path): no such file\n".utf8))
        exit(2)
    }
    inputs += isFolder.boolValue
        ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { url.appendingPathComponent($0) } : [url]
}
var read = 0
for input in inputs {
    let bytes = [UInt8](try Data(contentsOf: input))
    // CSD_FUZZ_VERBOSE=1 prints each refusal (the error a user would see).
    let verbose = ProcessInfo.processInfo.environment["CSD_FUZZ_VERBOSE"] != nil
    if bytes.withUnsafeBufferPointer({ target($0, verbose: verbose) }) { read += 1 }
}
print("\(target.name): \(inputs.count) inputs, \(read) read, \(inputs.count - read) refused with an error")
#endif

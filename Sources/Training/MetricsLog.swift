// Metrics as JSON lines (metrics.jsonl in the run directory), one object per event:
//   {"kind":"train","step":100,"epoch":1,"loss":5.1,"lr":0.0007,"tokens_per_s":9000,...}
//   {"kind":"valid","step":1000,"loss":3.2,"nll":2.9,"ppl":18.2}
//   {"kind":"skip","step":57,"loss":null,"grad_norm":null}   (non-finite values are null)
import Foundation

public struct MetricsRecord: Equatable, Sendable {
    public var kind: String
    public var step: Int
    public var values: [String: Double]
    public init(kind: String, step: Int, values: [String: Double]) { self.kind = kind; self.step = step; self.values = values }

    /// One JSON line with sorted keys; non-finite numbers become null.
    public var jsonLine: String {
        var parts = ["\"kind\":\"\(kind)\"", "\"step\":\(step)"]
        for key in values.keys.sorted() {
            let v = values[key] ?? .nan
            parts.append("\"\(key)\":" + (v.isFinite ? "\(v)" : "null"))
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    init?(line: Substring) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let kind = object["kind"] as? String, let step = object["step"] as? Int else { return nil }
        self.kind = kind
        self.step = step
        values = [:]
        for (k, v) in object where k != "kind" && k != "step" {
            values[k] = (v as? NSNumber)?.doubleValue ?? .nan
        }
    }
}

public final class MetricsLog {
    public let path: String
    private let handle: FileHandle

    /// Opens (creating) the log; with `truncateAfter`, records of later steps (from a run
    /// that was interrupted after its last checkpoint) are dropped first.
    public init(path: String, truncateAfter step: Int? = nil) throws {
        self.path = path
        if let step, FileManager.default.fileExists(atPath: path) {
            let kept = try MetricsLog.read(path).filter { $0.step <= step }
            try AtomicFile.write(Data(kept.map { $0.jsonLine + "\n" }.joined().utf8), to: path)
        }
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw TrainingError("cannot create \(path)") }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw TrainingError("cannot open \(path) for writing") }
        self.handle = handle
        handle.seekToEndOfFile()
    }

    deinit { try? handle.close() }

    public func append(_ record: MetricsRecord) {
        handle.write(Data((record.jsonLine + "\n").utf8))
    }

    /// Every well-formed record of a log file (a torn last line is ignored).
    public static func read(_ path: String) throws -> [MetricsRecord] {
        guard let data = FileManager.default.contents(atPath: path) else { throw TrainingError("cannot read metrics log \(path)") }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap(MetricsRecord.init(line:))
    }
}

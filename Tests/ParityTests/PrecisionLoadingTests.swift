// Loading a model directory in an inference precision (f32, bf16, int8) whatever it stores: int8
// exports (`<name>` I8 + `<name>.scale` F32) load in every precision, packed as stored in int8 and
// dequantized otherwise; the float weights of a bf16 or int8 model are released; bad int8 tensors
// are errors naming them.
import Checkpoints
import Foundation
import Models
import Training
import XCTest

final class PrecisionLoadingTests: XCTestCase {
    func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("precision-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A Marian-like encoder-decoder (tied output with a bias) and a decoder-only model with its own generator.
    func configs() -> [TransformerConfig] {
        var ed = TransformerConfig()
        ed.dModel = 24; ed.heads = 4; ed.ff = 40; ed.encoderLayers = 1; ed.decoderLayers = 2
        ed.srcVocab = 37; ed.tgtVocab = 37; ed.maxLen = 16
        ed.shareEmbeddings = true; ed.tieOutput = true; ed.outputBias = true
        var lm = ed
        lm.family = .decoderOnly; lm.tieOutput = false; lm.outputBias = false; lm.positional = .rope; lm.normFirst = true
        return [ed, lm]
    }

    static let ids = Tensor(ints: [1, 4, 5, 6, 2, 0, 1, 7, 8, 9, 30, 2], shape: [2, 6])

    func logits(_ m: AnyTransformerModel) -> [Float] {
        withNoGrad {
            switch m {
            case .encoderDecoder(let e): return e(source: Self.ids, targetIn: Self.ids).scalars
            case .decoderOnly(let d): return d(Self.ids).scalars
            case .encoderOnly(let e): return e(Self.ids).scalars
            }
        }
    }

    func model(_ c: TransformerConfig) throws -> AnyTransformerModel {
        let m = try AnyTransformerModel(config: c, seed: 4)
        m.module.train(false)
        if case .encoderDecoder(let e) = m, let bias = e.outputBias {
            for i in 0..<bias.count { bias.data[i] = Float(i % 7) * 0.1 - 0.3 }
        }
        return m
    }

    func testInt8ExportLoadsInEveryPrecision() throws {
        for c in configs() {
            let original = try model(c)
            let f32 = temporaryDirectory(), int8 = temporaryDirectory()
            try ModelDirectory.save(original.module, config: c, to: f32)
            try ModelDirectory.save(original.module, config: c, to: int8, format: .int8)
            // The file: linear and embedding weights as I8 with their scales, the rest F32.
            let file = try SafetensorsFile(path: int8.appendingPathComponent("weights.safetensors").path)
            let packable = original.module.packableLayers()
            for (name, tensor) in original.module.namedParameters() {
                let isInt8 = packable[ObjectIdentifier(tensor)] != nil
                XCTAssertEqual(try file.entry(name).dtype, isInt8 ? .i8 : .f32, name)
                XCTAssertEqual(file.header.entry(named: name + ".scale")?.shape, isInt8 ? [tensor.shape[0]] : nil, name)
            }
            // int8 from the int8 file packs the stored values: the same as quantizing the float file's.
            let fromInt8 = try ModelDirectory.load(int8, precision: .int8), fromF32 = try ModelDirectory.load(f32, precision: .int8)
            XCTAssertEqual(logits(fromInt8.model), logits(fromF32.model), "\(c.family)")
            // bf16 and f32 dequantize it: each weight is value × scale of its row.
            let dequantized = try ModelDirectory.load(int8, precision: .f32)
            let loaded = Dictionary(uniqueKeysWithValues: dequantized.model.module.namedParameters().map { ($0.name, $0.tensor) })
            for (name, tensor) in original.module.namedParameters() where packable[ObjectIdentifier(tensor)] != nil {
                let (q, s) = Kernels.quantizeRows(tensor)
                let cols = tensor.shape[1]
                XCTAssertEqual(loaded[name]?.scalars, q.indices.map { Float(q[$0]) * s[$0 / cols] }, name)
            }
            XCTAssertEqual(logits(try ModelDirectory.load(int8, precision: .bf16).model).count, logits(original).count)
            // Every precision stays close to float32 on this small model.
            let reference = logits(original)
            let scale = reference.map(abs).max() ?? 1
            for (precision, tolerance) in [(InferencePrecision.bf16, Float(0.02)), (.int8, 0.06)] {
                let got = logits(try ModelDirectory.load(f32, precision: precision).model)
                let worst = zip(got, reference).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(worst, tolerance * scale, "\(c.family) \(precision)")
            }
        }
    }

    func testBFloat16StorageLoadsInBFloat16AsFloatStorageDoes() throws {
        for c in configs() {
            let original = try model(c)
            let f32 = temporaryDirectory(), bf16 = temporaryDirectory()
            try ModelDirectory.save(original.module, config: c, to: f32)
            try ModelDirectory.save(original.module, config: c, to: bf16, format: .bf16)
            // Rounding to bfloat16 twice is rounding once: the packed weights are the same.
            let a = try ModelDirectory.load(f32, precision: .bf16), b = try ModelDirectory.load(bf16, precision: .bf16)
            let worst = zip(logits(a.model), logits(b.model)).map { abs($0 - $1) }.max() ?? 0
            // Biases and norms are stored in bfloat16 too; the weights round the same way.
            XCTAssertLessThan(worst, 0.05, "\(c.family)")
        }
    }

    func testReducedPrecisionReleasesFloatWeights() throws {
        let c = configs()[0]
        let dir = temporaryDirectory()
        try ModelDirectory.save(try model(c).module, config: c, to: dir, format: .int8)
        for precision in InferencePrecision.allCases {
            let loaded = try ModelDirectory.load(dir, precision: precision)
            guard case .encoderDecoder(let m) = loaded.model else { return XCTFail("family") }
            let linears = m.modules().compactMap { $0 as? Linear }
            XCTAssertFalse(linears.isEmpty)
            for linear in linears {
                XCTAssertEqual(linear.precision, precision)
                XCTAssertEqual(linear.weight.hasValues, precision == .f32, "\(precision)")
            }
            XCTAssertEqual(m.sourceEmbedding.tokens.weight.hasValues, precision == .f32)
            // Weights streamed per decoding step: a quarter of float32's in int8 (plus scales).
            let bytes = m.decodingWeightBytesPerStep
            switch precision {
            case .f32: XCTAssertGreaterThan(bytes, 0)
            case .bf16: XCTAssertEqual(Double(bytes), Double(try ModelDirectory.load(dir).model.encoderDecoder!.decodingWeightBytesPerStep) / 2, accuracy: Double(bytes) * 0.1)
            case .int8: XCTAssertLessThan(bytes, try ModelDirectory.load(dir, precision: .bf16).model.encoderDecoder!.decodingWeightBytesPerStep * 2 / 3)
            }
        }
    }

    /// Writes `tensors` (under our names for config `c`) as a model directory.
    func directory(_ c: TransformerConfig, _ tensors: [SafetensorsTensor]) throws -> URL {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try c.jsonData().write(to: dir.appendingPathComponent("config.json"))
        try SafetensorsWriter.write(tensors, metadata: [:], to: dir.appendingPathComponent("weights.safetensors").path)
        return dir
    }

    func testBadInt8TensorsAreNamed() throws {
        let c = configs()[1]
        let m = try model(c)
        let params = m.module.namedParameters()
        guard let (target, weight) = params.first(where: { $0.name.hasSuffix("feedForward.linear1.weight") }) else {
            return XCTFail("no feed-forward weight in \(params.map(\.name))")
        }
        func tensors(replacing name: String, with replacement: [SafetensorsTensor]) -> [SafetensorsTensor] {
            params.flatMap { $0.name == name ? replacement : [SafetensorsTensor(name: $0.name, tensor: $0.tensor)] }
        }
        let good = Int8Weights.tensors(name: target, weight: weight)
        let rows = weight.shape[0]
        var minus128 = good[0].bytes
        minus128[3] = 0x80
        let cases: [(String, [SafetensorsTensor], String)] = [
            ("no scales", [good[0]], "\(target).scale"),
            ("-128", [SafetensorsTensor(name: target, dtype: .i8, shape: weight.shape, bytes: minus128), good[1]], "-128"),
            ("negative scale", [good[0], SafetensorsTensor(name: target + ".scale", shape: [rows], floats: [-1] + Array(repeating: 1, count: rows - 1))],
             "scale"),
            ("scales of another shape", [good[0], SafetensorsTensor(name: target + ".scale", shape: [rows + 1], floats: Array(repeating: 1, count: rows + 1))],
             "\(target).scale"),
        ]
        for precision in InferencePrecision.allCases {
            for (what, replacement, expected) in cases {
                let dir = try directory(c, tensors(replacing: target, with: replacement))
                XCTAssertThrowsError(try ModelDirectory.load(dir, precision: precision), "\(what) \(precision)") {
                    XCTAssertTrue("\($0)".contains(target) && "\($0)".contains(expected), "\(what): \($0)")
                }
            }
            // A norm's gain is no linear or embedding weight: int8 is refused for it.
            guard let (norm, gain) = params.first(where: { $0.tensor.rank == 1 && $0.name.lowercased().contains("norm") }) else {
                return XCTFail("no norm in \(params.map(\.name))")
            }
            let asMatrix = Tensor(gain.scalars, shape: [1, gain.count])
            var q = Int8Weights.tensors(name: norm, weight: asMatrix)
            q[0] = SafetensorsTensor(name: norm, dtype: .i8, shape: gain.shape, bytes: q[0].bytes)
            q[1] = SafetensorsTensor(name: norm + ".scale", shape: [gain.count], floats: Array(repeating: 1, count: gain.count))
            let dir = try directory(c, tensors(replacing: norm, with: q))
            XCTAssertThrowsError(try ModelDirectory.load(dir, precision: precision)) {
                XCTAssertTrue("\($0)".contains(norm), "\($0)")
            }
        }
    }

    func testStoredPrecisionIsReadFromTheHeader() throws {
        let c = configs()[0]
        let m = try model(c)
        for (format, expected) in [(WeightFormat.f32, InferencePrecision.f32), (.f16, .f32), (.bf16, .bf16), (.int8, .int8)] {
            let dir = temporaryDirectory()
            try ModelDirectory.save(m.module, config: c, to: dir, format: format)
            XCTAssertEqual(try ModelDirectory.storedPrecision(dir), expected, "\(format)")
        }
    }

    func testInt8IsWrittenInOurLayoutOnly() throws {
        let c = configs()[0]
        let m = try model(c)
        for format in [ExportFormat.hf, .pytorch] {
            let out = temporaryDirectory()
            XCTAssertThrowsError(try ModelExport.write(m.module, config: c, tokenizerDirectory: nil, to: out, format: format, dtype: .int8)) {
                XCTAssertTrue("\($0)".contains("int8"), "\($0)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        }
    }
}

private extension AnyTransformerModel {
    var encoderDecoder: EncoderDecoderModel? {
        if case .encoderDecoder(let m) = self { return m }
        return nil
    }
}

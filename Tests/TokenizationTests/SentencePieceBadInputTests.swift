import Foundation
import XCTest
import Tokenization

/// Corrupt `.model` files, charsmaps, Unigram tokenizer.json files and Marian directories are
/// clear errors naming the file — never a crash, a trap, a hang or a huge allocation.
final class SentencePieceBadInputTests: XCTestCase {
    /// Protocol Buffers wire format, written by hand for the tests.
    struct Proto {
        var bytes: [UInt8] = []
        mutating func varint(_ v: UInt64) {
            var v = v
            while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            bytes.append(UInt8(v))
        }
        mutating func tag(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }
        mutating func int(_ field: Int, _ v: Int64) { tag(field, 0); varint(UInt64(bitPattern: v)) }
        mutating func float(_ field: Int, _ v: Float) {
            tag(field, 5)
            for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v.bitPattern >> (8 * k))) }
        }
        mutating func data(_ field: Int, _ d: [UInt8]) { tag(field, 2); varint(UInt64(d.count)); bytes += d }
        mutating func string(_ field: Int, _ s: String) { data(field, Array(s.utf8)) }

        static func piece(_ s: String, _ score: Float, _ type: Int64 = 1) -> [UInt8] {
            var p = Proto()
            p.string(1, s)
            p.float(2, score)
            p.int(3, type)
            return p.bytes
        }
    }

    /// A small valid unigram model (identity normalization) with `extra` pieces appended.
    static func model(pieces extra: [[UInt8]] = [], trainer: [UInt8]? = nil, normalizer: [UInt8]? = nil) -> [UInt8] {
        var m = Proto()
        let base = [Proto.piece("<unk>", 0, 2), Proto.piece("<s>", 0, 3), Proto.piece("</s>", 0, 3),
                    Proto.piece("\u{2581}", -2), Proto.piece("a", -3), Proto.piece("b", -4), Proto.piece("ab", -1)]
        for p in base + extra { m.data(1, p) }
        var t = Proto()
        t.int(3, 1)
        m.data(2, trainer ?? t.bytes)
        var n = Proto()
        n.string(1, "identity")
        m.data(3, normalizer ?? n.bytes)
        return m.bytes
    }

    var temporary: [String] = []
    override func tearDown() { for p in temporary { try? FileManager.default.removeItem(atPath: p) } }

    func write(_ bytes: [UInt8], _ name: String = "model.model") -> String {
        let path = NSTemporaryDirectory() + "/spm-bad-\(UUID().uuidString)-\(name)"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        temporary.append(path)
        return path
    }

    func assertRefused(_ bytes: [UInt8], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        let path = write(bytes)
        XCTAssertThrowsError(try Tokenizer(sentencePieceModel: path), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(path), "error does not name the file: \(text)", file: file, line: line)
            XCTAssertTrue(text.contains(fragment), "expected \"\(fragment)\" in: \(text)", file: file, line: line)
        }
    }

    func testTheHandWrittenModelLoads() throws {
        let tokenizer = try Tokenizer(sentencePieceModel: write(Self.model()))
        XCTAssertEqual(tokenizer.encode("ab ba"), [3, 6, 3, 5, 4])
        XCTAssertEqual(tokenizer.decode([3, 6, 3, 5, 4]), "ab ba")
        XCTAssertEqual(tokenizer.encode("abc"), [3, 6, 0])
    }

    func testWireFormatErrors() {
        assertRefused([0x08, 0x01], "ModelProto.pieces has wire type varint, expected length-delimited")
        assertRefused([0x0A, 0x05, 0x61], "length 5 runs past the end")
        assertRefused([0x0F], "invalid wire type 7")
        assertRefused([0x0A], "varint runs past the end")
        assertRefused([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], "varint longer than 64 bits")
        var huge = Proto()
        huge.tag(1, 2)
        huge.varint(1 << 40)  // a terabyte-long piece: refused before anything is allocated
        assertRefused(huge.bytes, "runs past the end")
        assertRefused([0x00], "invalid field number 0")
        var group = Proto()
        group.tag(9, 3)
        assertRefused(group.bytes, "groups")
        var score = Proto()
        score.string(1, "a")
        score.int(2, 5)  // a score must be a 32-bit float
        var m = Proto()
        m.data(1, score.bytes)
        assertRefused(m.bytes, "piece 0: score has wire type varint, expected 32-bit")
    }

    func testTruncatedModelsAreRefusedCleanly() throws {
        let whole = Array(try Data(contentsOf: SentencePieceParityTests.directory.appendingPathComponent("bpe_bytes.model")))
        for cut in stride(from: 0, to: whole.count, by: 97) {
            let path = write(Array(whole[..<cut]))
            XCTAssertThrowsError(try Tokenizer(sentencePieceModel: path), "cut at \(cut)") { error in
                XCTAssertTrue("\(error)".contains(path))
            }
        }
    }

    func testInvalidModelsAreRefused() {
        assertRefused(Self.model(pieces: [Proto.piece("x", -1, 9)]), "piece 7 has unknown type 9")
        var t = Proto()
        t.int(3, 7)
        assertRefused(Self.model(trainer: t.bytes), "model_type has unknown value 7")
        assertRefused(Self.model(pieces: [Proto.piece("a", -5)]), "piece \"a\" is defined twice")
        assertRefused(Self.model(pieces: [Proto.piece("<unk>", 0, 3)]), "piece \"<unk>\" is defined twice")
        assertRefused(Self.model(pieces: [Proto.piece("", -5)]), "piece 7 is empty")
        assertRefused(Self.model(pieces: [Proto.piece("c", .nan)]), "NaN score")
        assertRefused(Self.model(pieces: [Proto.piece("<unk2>", 0, 2)]), "second unknown piece")
        assertRefused(Self.model(pieces: [Proto.piece("<0x41>", 0, 6)]), "byte_fallback is off")
        var bytes = Proto()
        bytes.int(3, 1)
        bytes.int(35, 1)
        assertRefused(Self.model(trainer: bytes.bytes), "no byte piece for 0x0")
        assertRefused(Self.model(pieces: [Proto.piece("<0x4G>", 0, 6)], trainer: bytes.bytes), "not <0x00>…<0xFF>")
        var noUnk = Proto()
        noUnk.data(1, Proto.piece("a", -1))
        assertRefused(noUnk.bytes, "no unknown piece")
        assertRefused([], "no pieces")
    }

    /// The charsmap of a real model, and where it sits in the file.
    func charsmapModel() throws -> (bytes: [UInt8], charsmap: Range<Int>) {
        let bytes = Array(try Data(contentsOf: SentencePieceParityTests.directory.appendingPathComponent("unigram_nmt.model")))
        // Walk the top-level fields to normalizer_spec (3), then to precompiled_charsmap (2).
        func fields(_ r: Range<Int>) -> [(Int, Range<Int>)] {
            var out: [(Int, Range<Int>)] = [], i = r.lowerBound
            func varint() -> Int { var v = 0, s = 0; while bytes[i] & 0x80 != 0 { v |= Int(bytes[i] & 0x7F) << s; s += 7; i += 1 }; v |= Int(bytes[i]) << s; i += 1; return v }
            while i < r.upperBound {
                let tag = varint()
                switch tag & 7 {
                case 0: _ = varint()
                case 5: i += 4
                case 2: let n = varint(); out.append((tag >> 3, i..<i + n)); i += n
                default: XCTFail("unexpected wire type"); return out
                }
            }
            return out
        }
        let spec = try XCTUnwrap(fields(0..<bytes.count).first { $0.0 == 3 }?.1)
        let map = try XCTUnwrap(fields(spec).first { $0.0 == 2 }?.1)
        return (bytes, map)
    }

    func testCorruptCharsmapsAreRefused() throws {
        let (bytes, map) = try charsmapModel()
        var outside = bytes
        // The root unit's offset (bits 10…) pointing far past the trie.
        outside[map.lowerBound + 5] = 0xFF
        outside[map.lowerBound + 6] = 0xFF
        assertRefused(outside, "normalizer_spec.precompiled_charsmap: the trie's root points outside it")
        var size = bytes
        size[map.lowerBound + 3] = 0x7F  // trie size past the blob
        assertRefused(size, "exceeds the charsmap")
        var value = bytes
        // Every replacement offset is a leaf unit: make the pool end early by dropping its NULs.
        let trieSize = Int(bytes[map.lowerBound]) | Int(bytes[map.lowerBound + 1]) << 8 | Int(bytes[map.lowerBound + 2]) << 16
        for k in (map.lowerBound + 4 + trieSize)..<map.upperBound where value[k] == 0 { value[k] = 0x20 }
        assertRefused(value, "outside the NUL-terminated strings")

        // The same blob in a tokenizer.json's Precompiled normalizer.
        let charsmap = Array(outside[map])
        let json = #"{"normalizer":{"type":"Precompiled","precompiled_charsmap":"\#(Data(charsmap).base64EncodedString())"},"model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0.0]]}}"#
        let path = write(Array(json.utf8), "tokenizer.json")
        XCTAssertThrowsError(try Tokenizer(contentsOfFile: path)) { error in
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("root points outside"), "\(error)")
        }
        let notBase64 = write(Array(#"{"normalizer":{"type":"Precompiled","precompiled_charsmap":"%%%"},"model":{"type":"Unigram","vocab":[]}}"#.utf8), "tokenizer.json")
        XCTAssertThrowsError(try Tokenizer(contentsOfFile: notBase64)) { error in
            XCTAssertTrue("\(error)".contains("not valid base64"), "\(error)")
        }
    }

    func testInvalidUnigramTokenizerJSON() {
        for (model, fragment) in [
            (#"{"type":"Unigram","unk_id":3,"vocab":[["a",-1.0]]}"#, "unk_id 3 is outside the vocabulary"),
            (#"{"type":"Unigram","unk_id":-1,"vocab":[["a",-1.0]]}"#, "unk_id is not a non-negative integer"),
            (#"{"type":"Unigram","vocab":[["a"]]}"#, "entry 0 is not [piece, finite score]"),
            (#"{"type":"Unigram","vocab":[["a",1e999]]}"#, "entry 0 is not [piece, finite score]"),
            (#"{"type":"Unigram","vocab":{"a":1}}"#, "no \"vocab\" array"),
        ] {
            let path = write(Array(#"{"model":\#(model)}"#.utf8), "tokenizer.json")
            XCTAssertThrowsError(try Tokenizer(contentsOfFile: path)) { error in
                XCTAssertTrue("\(error)".contains(path) && "\(error)".contains(fragment), "\(error)")
            }
        }
    }

    /// Without unk_id an unknown character has no id (Hugging Face raises an error); we drop it.
    func testUnigramWithoutUnknownDropsUnknownCharacters() throws {
        let path = write(Array(#"{"model":{"type":"Unigram","vocab":[["a",-1.0],["b",-2.0]]}}"#.utf8), "tokenizer.json")
        XCTAssertEqual(try Tokenizer(contentsOfFile: path).encode("axb"), [0, 1])
    }

    func testInvalidMarianDirectories() throws {
        let source = SentencePieceParityTests.directory.appendingPathComponent("marian")
        func directory(_ files: [String: [UInt8]]) throws -> URL {
            let d = URL(fileURLWithPath: NSTemporaryDirectory() + "/marian-bad-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            temporary.append(d.path)
            for name in ["source.spm", "target.spm", "vocab.json", "tokenizer_config.json"] {
                try Data(contentsOf: source.appendingPathComponent(name)).write(to: d.appendingPathComponent(name))
            }
            for (name, bytes) in files { try Data(bytes).write(to: d.appendingPathComponent(name)) }
            return d
        }
        for (files, file, fragment) in [
            (["vocab.json": Array(#"{"a": 0}"#.utf8)], "vocab.json", "unknown token <unk> is not in the vocabulary"),
            (["vocab.json": Array(#"{"<unk>": 0, "a": 99999999999}"#.utf8)], "vocab.json", "vocab id of \"a\""),
            (["vocab.json": Array(#"{"<unk>": 0, "</s>": 1}"#.utf8)], "vocab.json", "padding token <pad>"),
            (["vocab.json": Array(#"[1, 2]"#.utf8)], "vocab.json", "not a JSON object"),
            (["tokenizer_config.json": Array("{".utf8)], "tokenizer_config.json", "malformed JSON"),
            (["source.spm": [0x0A, 0x09]], "source.spm", "not a SentencePiece model"),
        ] {
            let d = try directory(files)
            XCTAssertThrowsError(try Tokenizer.marian(directory: d)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(d.appendingPathComponent(file).path) && text.contains(fragment), text)
            }
        }
        let missing = try directory([:])
        try FileManager.default.removeItem(at: missing.appendingPathComponent("target.spm"))
        XCTAssertThrowsError(try Tokenizer.marian(directory: missing)) { error in
            XCTAssertTrue("\(error)".contains(missing.appendingPathComponent("target.spm").path), "\(error)")
        }
    }

    /// Ids outside the vocabulary decode to nothing rather than trapping.
    func testOutOfRangeIdsDecodeToNothing() throws {
        for (kind, file) in [("sentencepiece", "unigram_bytes.model"), ("marian", "marian"), ("tokenizer.json", "hf_unigram_nmt.json")] {
            let tokenizer = try SentencePieceParityTests.tokenizer(kind, file)
            XCTAssertEqual(tokenizer.decode([-5, Int32(tokenizer.vocabSize), .max]), "", file)
        }
    }
}

// A Marian (OPUS-MT) tokenizer directory: the fixture's source.spm and target.spm with one of its
// JSON files replaced by the input; the directory loads or throws, and a tokenizer that loads
// encodes and decodes like any other.
//
// Input: byte 0 picks the file (vocab.json, tokenizer_config.json, special_tokens_map.json), the
// rest is its content.
import Tokenization

extension FuzzTargets {
    static func marian(_ fixtures: Fixtures) throws -> ([UInt8]) throws -> Void {
        let directory = try ScratchDirectory("marian")
        let files = ["vocab.json", "tokenizer_config.json", "special_tokens_map.json"]
        let fixture = fixtures.path("Tests/TokenizationTests/Fixtures/spm/marian")
        for name in files + ["source.spm", "target.spm"] { try directory.copy(fixture + "/" + name, as: name) }
        return { bytes in
            guard let first = bytes.first else { return }
            let file = files[Int(first) % files.count]
            try directory.write(file, Array(bytes.dropFirst()))
            defer { try? directory.copy(fixture + "/" + file, as: file) }
            guard let tokenizer = try? Tokenizer.load(fileOrDirectory: directory.path) else { return }
            try exercise(tokenizer)
        }
    }
}

// Arbitrary bytes as text (invalid UTF-8 replaced, as String(decoding:) does) through the
// fixture tokenizers (tokenizer.json, SentencePiece .model, a Marian directory): encoding gives
// ids inside the vocabulary; decoding any ids never traps; the lossless tokenizers give the text
// back.
//
// Input: byte 0 picks the tokenizer, byte 1 the options (bit 0: special tokens in the text are
// special; bit 1: add the post-processor's specials; bit 2: the second half is a pair; bit 3:
// skip specials when decoding), the rest is the text and, read as little-endian Int16s, the ids
// to decode.
import Tokenization

extension FuzzTargets {
    static func tokenizerEncode(_ fixtures: Fixtures) throws -> ([UInt8]) throws -> Void {
        let directory = "Tests/TokenizationTests/Fixtures/"
        let json = ["hf/gpt2", "hf/roberta", "hf/bert_uncased", "hf/bert_cased", "hf/llama2", "hf/llama3", "hf/wordlevel",
                    "hf/splits", "hf/added", "hf_gpt2", "hf_llama_style", "hf_metaspace_unk", "hf_splits", "hf_whitespace",
                    "ours_gpt2_nfkc", "ours_metaspace", "ours_wordpiece", "ours_unigram", "spm/hf_unigram_nmt"]
        let models = ["bpe_bytes", "bpe_unk", "char_identity", "unigram_bytes", "unigram_denorm", "unigram_nfkc_cf", "unigram_nmt",
                      "unigram_suffix", "word_identity"]
        var tokenizers = try json.map { try Tokenizer(contentsOfFile: fixtures.path(directory + $0 + ".json")) }
        tokenizers += try models.map { try Tokenizer(sentencePieceModel: fixtures.path(directory + "spm/" + $0 + ".model")) }
        tokenizers.append(try Tokenizer.load(fileOrDirectory: fixtures.path(directory + "spm/marian")))
        // decode(encode(s)) == s for every string (RoundTripTests).
        let lossless = Set(["hf_gpt2", "ours_metaspace"].compactMap { json.firstIndex(of: $0) })

        return { bytes in
            guard bytes.count >= 2 else { return }
            let which = Int(bytes[0]) % tokenizers.count, options = bytes[1]
            var tokenizer = tokenizers[which]
            tokenizer.encodeSpecialTokens = options & 1 != 0
            let body = Array(bytes[2...])
            let text: String, pair: String?
            if options & 4 != 0 {
                text = String(decoding: body[..<(body.count / 2)], as: UTF8.self)
                pair = String(decoding: body[(body.count / 2)...], as: UTF8.self)
            } else {
                (text, pair) = (String(decoding: body, as: UTF8.self), nil)
            }
            let encoding = tokenizer.encode(text, pair: pair, addSpecial: options & 2 != 0)
            try requireInVocabulary(encoding.ids, tokenizer)
            try require(encoding.typeIDs.count == encoding.ids.count, "type ids do not match ids")
            let plain = tokenizer.encode(text)
            if lossless.contains(which) && tokenizer.encodeSpecialTokens {
                try require(Array(tokenizer.decode(plain, skipSpecial: false).utf8) == Array(text.utf8), "decode(encode(text)) != text")
            }
            _ = tokenizer.decode(encoding.ids, skipSpecial: options & 8 != 0)
            let ids = stride(from: 0, to: body.count - 1, by: 2).map { Int32(Int16(bitPattern: UInt16(body[$0]) | UInt16(body[$0 + 1]) << 8)) }
            _ = tokenizer.decode(ids, skipSpecial: false)
            _ = tokenizer.decode(ids, skipSpecial: true)
        }
    }
}

import Models
import XCTest

final class ParameterCountTests: XCTestCase {
    /// "encoder.layers.3.selfAttention.query.weight" → "encoder.selfAttention", as ModelSummary groups.
    private func component(_ name: String) -> String {
        let parts = name.split(separator: ".").map(String.init)
        guard let i = parts.firstIndex(of: "layers"), i + 2 < parts.count else {
            return parts.count > 1 ? parts.dropLast().prefix(2).joined(separator: ".") : name
        }
        let sub = parts[i + 2].hasSuffix("AddNorm") ? "norms" : parts[i + 2]
        return (parts[..<i] + [sub]).joined(separator: ".")
    }

    private func built(_ config: TransformerConfig) throws -> [String] {
        var order: [String] = [], counts: [String: Int] = [:]
        for (name, tensor) in try AnyTransformerModel(config: config).module.namedParameters() {
            let key = component(name)
            if counts[key] == nil { order.append(key) }
            counts[key, default: 0] += tensor.count
        }
        return order.map { "\($0)=\(counts[$0]!)" }
    }

    /// The counts from the config alone equal those of the built model, component by component, in order.
    func testCountsFromTheConfigMatchTheBuiltModel() throws {
        var checked = 0
        for family in ModelFamily.allCases {
            for attention in AttentionKind.allCases where family == .decoderOnly || attention != .mla {
                for (activation, norm, positional) in [(Activation.relu, NormKind.layerNorm, PositionalEncodingKind.sinusoidal),
                                                       (.swiglu, .rmsNorm, .learned), (.gelu, .layerNorm, .rope)] {
                    for (bias, tie, share, final) in [(true, false, false, true), (false, true, true, false)] {
                        var c = TransformerConfig()
                        c.family = family; c.attention = attention; c.activation = activation; c.norm = norm
                        c.positional = positional; c.bias = bias; c.tieOutput = tie; c.finalNorm = final
                        c.shareEmbeddings = share && family == .encoderDecoder
                        c.dModel = 24; c.heads = 4; c.kvHeads = attention == .gqa ? 2 : nil; c.ff = 40
                        c.encoderLayers = 2; c.decoderLayers = 3; c.srcVocab = 50; c.tgtVocab = c.shareEmbeddings ? 50 : 37
                        c.maxLen = 16; c.mlaLatent = 12; c.mlaRopeDim = 4; c.mlaQueryLatent = bias ? 10 : nil
                        // The parts Hugging Face architectures add (BERT's, Marian's), in one of the two settings.
                        c.typeVocab = bias ? 2 : 0; c.embeddingNorm = !bias; c.outputTransform = bias
                        c.outputBias = tie ? true : nil
                        let counted = c.parameterCounts().map { "\($0.component)=\($0.parameters)" }
                        XCTAssertEqual(counted, try built(c), "\(family) \(attention) \(activation) \(norm) \(positional) bias \(bias) tie \(tie)")
                        checked += 1
                    }
                }
            }
        }
        XCTAssertEqual(checked, 60)
        var headless = TransformerConfig()
        headless.family = .encoderOnly; headless.outputHead = false; headless.dModel = 16; headless.heads = 2; headless.ff = 8
        headless.srcVocab = 30; headless.encoderLayers = 1
        XCTAssertEqual(headless.parameterCounts().map { "\($0.component)=\($0.parameters)" }, try built(headless))
    }

    func testAbsurdConfigsAreClearErrorsBeforeAllocating() throws {
        var wide = TransformerConfig()
        wide.dModel = 1_000_000; wide.heads = 8
        XCTAssertThrowsError(try wide.validate()) { XCTAssertTrue("\($0)".contains("d_model (1000000) is above"), "\($0)") }
        var deep = TransformerConfig()
        deep.encoderLayers = 100_000_000
        XCTAssertThrowsError(try ModelSummary(config: deep)) { XCTAssertTrue("\($0)".contains("encoder_layers"), "\($0)") }
        // Within every bound, but far beyond memory: refused by size, naming it.
        var big = TransformerConfig()
        big.dModel = 65_536; big.heads = 64; big.ff = 1 << 20; big.encoderLayers = 4096; big.decoderLayers = 4096
        XCTAssertNoThrow(try ModelSummary(config: big))
        XCTAssertThrowsError(try EncoderDecoderModel(config: big)) { XCTAssertTrue("\($0)".contains("GB at float32"), "\($0)") }
        XCTAssertGreaterThan(try ModelSummary(config: big).totalParameters, 1_000_000_000_000)
    }
}

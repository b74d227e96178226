// Validation BLEU's decoder: greedy search (beam 1) over the validation sources, through the
// same Translator the `translate` command uses.
import Generation
import Models

public struct GreedyValidationTranslator: ValidationTranslator {
    public init() {}

    public func translate(_ sources: [[Int32]], model: EncoderDecoderModel) -> [[Int32]] {
        var options = TranslationOptions()
        options.beamSize = 1
        let eos = Int32(model.config.eosId)
        return Translator(model: model, options: options)
            .translate(sources.map { model.sourceSequence($0) })
            .map { $0.first?.content(eos: eos) ?? [] }
    }
}

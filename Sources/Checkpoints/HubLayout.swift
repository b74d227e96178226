// How a Hugging Face checkpoint maps onto our model: the config translated into ours, and for each
// of its tensors the parameters it fills (with GPT-2's Conv1D weights transposed and its packed
// query/key/value split by rows), the names a tied tensor may also be saved under, and the
// tensors a checkpoint may carry that the model does not use. Loading checks every name and
// shape against this before reading any data.
import Models

/// One tensor of a Hugging Face checkpoint and the parameters of ours it fills.
public struct HubTensorMapping: Sendable {
    /// Its name in the checkpoint, with the base model's prefix (see `HubLayout.prefix`).
    public let name: String
    /// Other names the same tensor may be saved under (tied weights); every one present must hold
    /// the same values.
    public let aliases: [String]
    /// Our parameter names, stacked along the first axis in this order (GPT-2's c_attn: query, key, value).
    public let parts: [String]
    /// Stored [in, out] (GPT-2's Conv1D) rather than [out, in] as PyTorch's Linear and ours.
    public let transposed: Bool
    /// The stored shape when it differs from ours only as a view (Marian's final_logits_bias [1, V]).
    public let storedShape: [Int]?
    /// May be absent: the parameters are then zero (Marian's final_logits_bias is left out by some exports).
    public let optional: Bool

    /// Every name the tensor may have.
    public var names: [String] { [name] + aliases }
}

/// A Hugging Face architecture's checkpoint layout for one config.json.
public struct HubLayout {
    public let architecture: HubArchitecture
    /// The config translated into ours.
    public let config: TransformerConfig
    /// The base model's name prefix ("model.", "transformer.", "bert."): checkpoints of the bare
    /// model (and GPT-2's original files) have their tensors without it.
    public let prefix: String
    public let mappings: [HubTensorMapping]
    /// Names (without the prefix) of tensors a checkpoint may hold that the model does not use:
    /// buffers (GPT-2's attention masks, position ids, Marian's sinusoid tables) and heads we do
    /// not run (BERT's pooler and next-sentence head).
    let ignored: (String) -> Bool
}

/// Collects mappings in order.
struct HubMappings {
    private(set) var list: [HubTensorMapping] = []

    mutating func map(_ name: String, _ parts: [String], aliases: [String] = [], transposed: Bool = false,
                      storedShape: [Int]? = nil, optional: Bool = false) {
        list.append(HubTensorMapping(name: name, aliases: aliases, parts: parts, transposed: transposed,
                                     storedShape: storedShape, optional: optional))
    }

    mutating func map(_ name: String, _ part: String, aliases: [String] = [], transposed: Bool = false) {
        map(name, [part], aliases: aliases, transposed: transposed)
    }

    /// A Linear or LayerNorm: `weight` (and `bias` when `bias`), with the same suffixes on both sides.
    /// `legacyNorm`: also accept TensorFlow-era gamma/beta names (old BERT checkpoints).
    mutating func linear(_ theirs: String, _ ours: String, bias: Bool, transposed: Bool = false, legacyNorm: Bool = false) {
        map("\(theirs).weight", ["\(ours).weight"], aliases: legacyNorm ? ["\(theirs).gamma"] : [], transposed: transposed)
        if bias { map("\(theirs).bias", ["\(ours).bias"], aliases: legacyNorm ? ["\(theirs).beta"] : []) }
    }
}

// `--precision f32|bf16|int8`: the number format a command's model computes in at inference, or
// `--precision f32|bf16` the matrix products of a benchmarked training step; `--dtype`: the number
// format `export` stores weights in.
import ArgumentParser
import Checkpoints
import TensorEngine

extension InferencePrecision: ExpressibleByArgument {
    /// The help of every command's --precision.
    static let help = ArgumentHelp(
        "Weights at inference: f32, bf16 (bfloat16) or int8 (per-row int8 weights and activations, as CTranslate2's int8), whatever the model stores (default: the precision it stores, f16 and Hugging Face models f32).")
}

extension WeightFormat: ExpressibleByArgument {}

extension MatmulPrecision: ExpressibleByArgument {}

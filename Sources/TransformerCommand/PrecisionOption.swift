// `--precision f32|bf16|int8`: the number format a command's model computes in at inference.
import ArgumentParser
import TensorEngine

extension InferencePrecision: ExpressibleByArgument {}

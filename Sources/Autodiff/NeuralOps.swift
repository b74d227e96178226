// Differentiable building blocks of the Transformer: matrix products and linear maps,
// softmax, fused layer/RMS norms, batch norm, embedding lookup, masked fill, dropout and the fused
// label-smoothed cross-entropy. Forward and backward kernels live in TensorEngine.Kernels.

extension Tensor {
    /// op(self)·op(other), batched over leading axes (other may be one shared 2-D matrix); forward
    /// and backward products in `MatmulPrecision.current` as it is when the product is recorded.
    public func matmul(_ other: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let a = self, b = other
        let precision = MatmulPrecision.current
        return Kernels.matmul(a, b, transposeA: transposeA, transposeB: transposeB, precision: precision)
            .recorded("matmul", [a, b]) { dc in
                let (da, db) = Kernels.matmulBackward(a, b, transposeA: transposeA, transposeB: transposeB, dc: dc,
                                                      needA: a.requiresGrad, needB: b.requiresGrad, precision: precision)
                return [da, db]
            }
    }

    /// x·Wᵀ + b for W of shape [out, in] (PyTorch's nn.Linear layout), in `MatmulPrecision.current`
    /// as `matmul`.
    public func linear(weight: Tensor, bias: Tensor?) -> Tensor {
        let x = self
        let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
        let precision = MatmulPrecision.current
        let y = Kernels.matmul(x, weight, transposeB: true, bias: bias, precision: precision)
        return y.recorded("linear", inputs) { dy in
            let (dx, dw) = Kernels.matmulBackward(x, weight, transposeA: false, transposeB: true, dc: dy,
                                                  needA: x.requiresGrad, needB: weight.requiresGrad, precision: precision)
            guard let bias, bias.requiresGrad else { return [dx, dw] }
            return [dx, dw, Kernels.sumToShape(dy, bias.shape)]
        }
    }

    public func softmax(axis: Int = -1) -> Tensor {
        let y = Kernels.softmax(self, axis: axis)
        return y.recorded("softmax", [self]) { [unowned y] dy in [Kernels.softmaxBackward(y: y, dy: dy, axis: axis)] }
    }

    public func logSoftmax(axis: Int = -1) -> Tensor {
        let y = Kernels.softmax(self, axis: axis, log: true)
        return y.recorded("logSoftmax", [self]) { [unowned y] dy in [Kernels.softmaxBackward(y: y, dy: dy, axis: axis, log: true)] }
    }

    /// LayerNorm over the last axis: (x − μ)/√(σ² + ε)·γ + β.
    public func layerNorm(weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        normalized(weight: weight, bias: bias, eps: eps, rms: false)
    }

    /// RMSNorm over the last axis: x/√(mean(x²) + ε)·γ.
    public func rmsNorm(weight: Tensor?, eps: Float) -> Tensor {
        normalized(weight: weight, bias: nil, eps: eps, rms: true)
    }

    /// BatchNorm over the rows (every leading axis): each feature normalised by its batch mean and
    /// variance, (x − μ)/√(σ² + ε)·γ + β; also returns the batch statistics (for running averages).
    public func batchNorm(weight: Tensor, bias: Tensor, eps: Float) -> (Tensor, BatchStatistics) {
        let x = self
        let (y, stats) = Kernels.batchNorm(x, gamma: weight, beta: bias, eps: eps)
        return (y.recorded("batchNorm", [x, weight, bias]) { dy in
            let (dx, dg, db) = Kernels.batchNormBackward(x: x, gamma: weight, stats: stats, dy: dy)
            return [dx, dg, db]
        }, stats)
    }

    private func normalized(weight: Tensor?, bias: Tensor?, eps: Float, rms: Bool) -> Tensor {
        let x = self
        let (y, stats) = Kernels.layerNorm(x, gamma: weight, beta: bias, eps: eps, rms: rms)
        let inputs = [x] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
        return y.recorded(rms ? "rmsNorm" : "layerNorm", inputs) { dy in
            let (dx, dg, db) = Kernels.layerNormBackward(x: x, gamma: weight, hasBeta: bias != nil, stats: stats, dy: dy)
            return [dx] + (weight == nil ? [] : [dg]) + (bias == nil ? [] : [db])
        }
    }

    /// Rows of `self` (a [vocab, d] table) at int32 `ids`: shape ids.shape + [d].
    public func gather(ids: Tensor) -> Tensor {
        let w = self
        return Kernels.embedding(weight: w, ids: ids).recorded("embedding", [w]) { dy in
            [Kernels.embeddingBackward(ids: ids, dy: dy, vocabularySize: w.shape[0])]
        }
    }

    /// Rows of `self` [N, d] at distinct int32 `ids` of a zero [count, d] table: the inverse of `gather`.
    public func scatterRows(ids: Tensor, count: Int) -> Tensor {
        Kernels.scatterRows(self, ids: ids, count: count).recorded("scatterRows", [self]) { dy in
            [Kernels.embedding(weight: dy, ids: ids)]
        }
    }

    /// `value` where `mask` (broadcast to self) is non-zero.
    public func maskedFill(_ mask: Tensor, value: Float) -> Tensor {
        Kernels.maskedFill(self, mask: mask, value: value).recorded("maskedFill", [self]) { dy in
            [Kernels.maskedFillBackward(dy, mask: mask)]
        }
    }

    /// Inverted dropout with probability `p`; the identity when `p` is 0.
    public func dropout(_ p: Float, generator: inout RandomGenerator) -> Tensor {
        if p == 0 { return self }
        let (y, mask) = Kernels.dropout(self, p: p, generator: &generator)
        return y.recorded("dropout", [self]) { dy in [Kernels.binary(dy, mask, .mul)] }
    }

    /// Mean label-smoothed cross-entropy of [N, V] logits against int32 targets, skipping `ignoreIndex`.
    public func crossEntropy(targets: Tensor, labelSmoothing: Float = 0, ignoreIndex: Int32? = nil) -> Tensor {
        let logits = self
        let result = Kernels.crossEntropy(logits: logits, targets: targets, labelSmoothing: labelSmoothing, ignoreIndex: ignoreIndex)
        return Tensor(scalar: result.loss).recorded("crossEntropy", [logits]) { dl in
            [Kernels.crossEntropyBackward(logits: logits, targets: targets, result: result,
                                          labelSmoothing: labelSmoothing, ignoreIndex: ignoreIndex, dLoss: dl.item())]
        }
    }
}

extension Tensor {
    /// Rotary position embedding of [..., T, D] at positions offset..<offset+T.
    public func rotaryEmbedding(offset: Int, base: Float) -> Tensor {
        Kernels.rotary(self, offset: offset, base: base).recorded("rotary", [self]) { dy in
            [Kernels.rotary(dy, offset: offset, base: base, inverse: true)]
        }
    }
}

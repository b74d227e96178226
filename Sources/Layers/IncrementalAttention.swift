// Incremental (cached) forms of the attention layers for autoregressive decoding: each call
// takes only the new positions, appends their keys and values to the layer's KeyValueCache,
// and attends over everything cached. Positions are absolute: RoPE rotates new queries and
// keys at cache.length + t, ALiBi measures distances from there. Cross-attention keys and
// values are computed once per source sentence.

extension MultiHeadAttention {
    /// An empty self-attention cache: only the key/value heads are stored (GQA/MQA).
    public func makeCache(rows: Int, capacity: Int) -> KeyValueCache {
        KeyValueCache(rows: rows, heads: keyValueHeads, keyWidth: headDimension, valueWidth: headDimension, capacity: capacity)
    }

    /// Self-attention of new positions x: [R, T, d_model] over the cache, which they join.
    public func step(_ x: Tensor, cache: KeyValueCache) -> Tensor {
        let offset = cache.length
        var q = MultiHeadAttention.splitHeads(query.inference(x), heads)
        var k = MultiHeadAttention.splitHeads(key.inference(x), keyValueHeads)
        let v = MultiHeadAttention.splitHeads(value.inference(x), keyValueHeads)
        if let rotary {
            q = rotary(q, offset: offset)
            k = rotary(k, offset: offset)
        }
        cache.append(keys: k, values: v)
        let mask = CachedAttentionMask(queryOffset: offset, causal: true, alibiSlopes: useALiBi ? ALiBi.slopes(heads: heads) : nil)
        let y = ScaledDotProductAttention.attend(query: q * attention.scale(keyWidth: headDimension), cache: cache, mask: mask,
                                                 capture: attention.capture)
        return output.inference(MultiHeadAttention.mergeHeads(y))
    }

    /// Cross-attention keys and values of an encoder output [B, S, d_model]: [B, H_kv, S, d_k] each.
    public func crossAttentionCache(memory: Tensor) -> KeyValueCache {
        KeyValueCache(keys: MultiHeadAttention.splitHeads(key(memory), keyValueHeads),
                      values: MultiHeadAttention.splitHeads(value(memory), keyValueHeads))
    }

    /// Cross-attention of decoder positions x: [R, T, d_model]; row r reads source `sourceRows[r]`,
    /// whose padding [B, S] is masked.
    public func step(_ x: Tensor, crossCache: KeyValueCache, sourceRows: [Int], sourcePadding: Tensor?) -> Tensor {
        let q = MultiHeadAttention.splitHeads(query.inference(x), heads)
        let mask = CachedAttentionMask(queryOffset: 0, causal: false, keyPadding: sourcePadding)
        let y = ScaledDotProductAttention.attend(query: q * attention.scale(keyWidth: headDimension), cache: crossCache,
                                                 cacheRows: sourceRows, mask: mask, capture: attention.capture)
        return output.inference(MultiHeadAttention.mergeHeads(y))
    }
}

extension MultiHeadLatentAttention {
    /// An empty cache of [normalised latent c_KV ; RoPE key] per position: one shared "head"
    /// whose first d_c floats also serve as the values.
    public func makeCache(rows: Int, capacity: Int) -> KeyValueCache {
        KeyValueCache(rows: rows, heads: 1, keyWidth: latentDimension + ropeDimension, valueWidth: latentDimension,
                      valuesInKeys: true, capacity: capacity)
    }

    /// Self-attention of new positions x: [R, T, d_model] over the cached latents. The up-projections
    /// are absorbed (DeepSeek-V2): q_i·W_UK_i·c = (W_UK_iᵀ·q_i)·c, and W_UV_i is applied after the
    /// weighted sum of latents, so keys and values are never rebuilt per position.
    public func step(_ x: Tensor, cache: KeyValueCache) -> Tensor {
        let (b, t) = (x.shape[0], x.shape[1])
        let (h, dh, dc, dr) = (heads, headDimension, latentDimension, ropeDimension)
        let offset = cache.length
        let queryInput = queryDown.map { down in queryNorm.map { $0(down.inference(x)) } ?? down.inference(x) } ?? x
        let qParts = MultiHeadAttention.splitHeads(queryUp.inference(queryInput), h).split(sizes: [dh, dr], axis: -1)
        let latent = keyValueNorm(keyValueDown.inference(x)).reshaped([b, 1, t, dc])
        let kRope = rotary(ropeKey.inference(x).reshaped([b, 1, t, dr]), offset: offset)
        cache.append(keys: Tensor.concat([latent, kRope], axis: -1))
        // [B, H, T, d] ↔ [H, B·T, d], so each head multiplies by its own slice of W_UK / W_UV.
        func byHead(_ y: Tensor) -> Tensor { y.permuted([1, 0, 2, 3]).reshaped([h, b * t, y.shape[3]]) }
        func byRow(_ y: Tensor) -> Tensor { y.reshaped([h, b, t, y.shape[2]]).permuted([1, 0, 2, 3]) }
        let qLatent = byRow(byHead(qParts[0]).matmul(keyUp.weight.view([h, dh, dc])))
        let qFull = Tensor.concat([qLatent, rotary(qParts[1], offset: offset)], axis: -1)
        let mask = CachedAttentionMask(queryOffset: offset, causal: true)
        let y = ScaledDotProductAttention.attend(query: qFull * attention.scale(keyWidth: dh + dr), cache: cache, mask: mask,
                                                 capture: attention.capture)
        let heads = byRow(byHead(y).matmul(valueUp.weight.view([h, dh, dc]), transposeB: true))
        return output.inference(MultiHeadAttention.mergeHeads(heads))
    }
}

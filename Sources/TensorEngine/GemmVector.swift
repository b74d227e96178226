// Matrix-vector products for GEMMs with one row or one column (decoding at batch 1): no packing.
import CKernels

enum GemmVector {
    /// Outputs handed to one thread: a multiple of every kernel's vector group, so a thread split
    /// never changes how an output is summed.
    static let chunk = 256

    /// y[j·yStride] = alpha·Σ_p x[p·xStride]·M(p, j) + beta·y[j·yStride] for j < outputs, where M(p, j)
    /// is `matrix` element (p, j).
    static func run(
        _ kernels: tk_sgemm_kernels, outputs: Int, k: Int, alpha: Float,
        x: UnsafePointer<Float>, xStride: Int, matrix: GemmOperand,
        beta: Float, y: UnsafeMutablePointer<Float>, yStride: Int, threads: Int
    ) {
        // Kernels want a unit-stride x and y, and M with either unit column or unit row stride.
        let xBuffer = xStride == 1 ? nil : GemmBuffers.take(k)
        let yBuffer = yStride == 1 ? nil : GemmBuffers.take(outputs)
        defer {
            if let xBuffer { GemmBuffers.give(xBuffer) }
            if let yBuffer { GemmBuffers.give(yBuffer) }
        }
        var xs = x
        if let xBuffer {
            for p in 0..<k { xBuffer.floats[p] = x[p * xStride] }
            xs = UnsafePointer(xBuffer.floats)
        }
        let ys = yBuffer?.floats ?? y
        if yBuffer != nil && beta != 0 { for j in 0..<outputs { ys[j] = y[j * yStride] } }

        let rows = matrix.colStride == 1
        guard let kernel = rows ? kernels.sgemv_rows : kernels.sgemv_dots else { return }
        let ld = rows ? matrix.rowStride : matrix.colStride
        let body = { (part: Int) in
            let j0 = part * chunk, count = min(chunk, outputs - j0)
            let base = rows ? matrix.base + j0 : matrix.base + j0 * ld
            kernel(Int64(count), Int64(k), xs, base, Int64(ld), ys + j0, alpha, beta)
        }
        let parts = (outputs + chunk - 1) / chunk
        if threads > 1 { ThreadPool.shared.parallelFor(parts, body) } else { for part in 0..<parts { body(part) } }

        if yBuffer != nil { for j in 0..<outputs { y[j * yStride] = ys[j] } }
    }
}

// Runs a test body once per SIMD level of the C kernels this CPU has (generic, AVX2, AVX-512).
import CKernels
import XCTest

func forEachSIMDLevel(_ body: (Int32) throws -> Void) rethrows {
    let best = tk_row_kernels_set_level(-1)
    defer { _ = tk_row_kernels_set_level(-1) }
    for level in 0...best {
        XCTAssertEqual(tk_row_kernels_set_level(level), level)
        try body(level)
    }
}

// The SGEMM packing routines of every SIMD level against a plain reference: every width, vector
// count and depth the drivers can ask for, and nothing written past the micro-panels.
import CKernels
import XCTest

final class PackingTests: XCTestCase {
    static let widths = [1, 4, 6, 8, 13, 14, 15, 16, 17, 31, 32]
    static let depths = Array(1...40) + [47, 64, 70, 513]

    /// A source of `vectors` vectors of `length` floats, `ld` apart, with distinct values.
    static func source(vectors: Int, length: Int, ld: Int) -> [Float] {
        var src = [Float](repeating: .nan, count: vectors * ld)
        for v in 0..<vectors { for p in 0..<length { src[v * ld + p] = Float(v * 1000 + p + 1) } }
        return src
    }

    /// Runs `pack` into a buffer of sentinels `room` floats longer than `want` and checks both parts.
    func check(_ pack: tk_pack_fn, src: [Float], ld: Int, count: Int, kc: Int, width: Int,
               want: [Float], level: Int32, kind: String) {
        let room = 64
        var dst = [Float](repeating: -7, count: want.count + room)
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                pack(s.baseAddress!, Int64(ld), Int64(count), Int64(kc), Int64(width), d.baseAddress!)
            }
        }
        if let i = want.indices.first(where: { dst[$0] != want[$0] }) {
            XCTFail("\(kind) level \(level) width \(width) count \(count) kc \(kc): [\(i)] = \(dst[i]), want \(want[i])")
        } else if dst[want.count...].contains(where: { $0 != -7 }) {
            XCTFail("\(kind) level \(level) width \(width) count \(count) kc \(kc): wrote past the micro-panels")
        }
    }

    func testTransposePacking() {
        for level in Int32(0)...tk_simd_level() {
            let pack = tk_sgemm_kernels_for_level(level).pack_transpose!
            for width in Self.widths {
                for count in Set([1, width / 2, width - 1, width]) where count >= 1 {
                    for kc in Self.depths {
                        let ld = kc + 3
                        let src = Self.source(vectors: count, length: kc, ld: ld)
                        var want = [Float](repeating: 0, count: kc * width)
                        for p in 0..<kc { for i in 0..<count { want[p * width + i] = src[i * ld + p] } }
                        check(pack, src: src, ld: ld, count: count, kc: kc, width: width, want: want,
                              level: level, kind: "transpose")
                    }
                }
            }
        }
    }

    func testCopyPacking() {
        for level in Int32(0)...tk_simd_level() {
            let pack = tk_sgemm_kernels_for_level(level).pack_copy!
            for width in Self.widths {
                for count in Set([1, width - 1, width, width + 1, 2 * width + 3]) where count >= 1 {
                    for kc in Self.depths {
                        let ld = count + 5
                        let src = Self.source(vectors: kc, length: count, ld: ld)
                        let panels = (count + width - 1) / width
                        var want = [Float](repeating: 0, count: panels * kc * width)
                        for q in 0..<panels {
                            for p in 0..<kc {
                                for i in 0..<width where q * width + i < count {
                                    want[(q * kc + p) * width + i] = src[p * ld + q * width + i]
                                }
                            }
                        }
                        check(pack, src: src, ld: ld, count: count, kc: kc, width: width, want: want,
                              level: level, kind: "copy")
                    }
                }
            }
        }
    }
}

// F16 and BF16 conversions: exact for representable values, round-to-nearest-even
// otherwise, and NaN/infinity preserved. Swift's Float16 serves as an independent oracle.
import Checkpoints
import XCTest

final class HalfPrecisionTests: XCTestCase {
    func testF16DecodeMatchesFloat16ForAllBitPatterns() {
        for bits in UInt16.min...UInt16.max {
            let ours = HalfPrecision.float(f16Bits: bits)
            let oracle = Float(Float16(bitPattern: bits))
            if oracle.isNaN {
                XCTAssertTrue(ours.isNaN, "\(bits)")
                XCTAssertEqual(ours.sign, oracle.sign)
            } else {
                XCTAssertEqual(ours.bitPattern, oracle.bitPattern, "\(bits)")
            }
        }
    }

    func testF16EncodeIsExactForEveryRepresentableValue() {
        for bits in UInt16.min...UInt16.max where !Float16(bitPattern: bits).isNaN {
            XCTAssertEqual(HalfPrecision.f16Bits(HalfPrecision.float(f16Bits: bits)), bits)
        }
    }

    func testF16EncodeMatchesFloat16RoundingOnRandomFloats() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<200_000 {
            // Random bit patterns cover every exponent, including under- and overflow.
            let x = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            guard !x.isNaN else { continue }
            XCTAssertEqual(HalfPrecision.f16Bits(x), Float16(x).bitPattern, "\(x)")
        }
    }

    func testF16RoundsTiesToEven() {
        XCTAssertEqual(HalfPrecision.f16Bits(1 + 0x1p-11), 0x3C00)  // halfway, even is down
        XCTAssertEqual(HalfPrecision.f16Bits(1 + 3 * 0x1p-11), 0x3C02)  // halfway, even is up
        XCTAssertEqual(HalfPrecision.f16Bits(1 + 0x1p-11 + 0x1p-20), 0x3C01)  // just above halfway
        XCTAssertEqual(HalfPrecision.f16Bits(65504), 0x7BFF)
        XCTAssertEqual(HalfPrecision.f16Bits(65519), 0x7BFF)
        XCTAssertEqual(HalfPrecision.f16Bits(65520), 0x7C00)  // halfway to 65536: overflows to infinity
        XCTAssertEqual(HalfPrecision.f16Bits(0x1p-24), 0x0001)  // smallest subnormal
        XCTAssertEqual(HalfPrecision.f16Bits(0x1p-25), 0x0000)  // halfway to it: even is zero
        XCTAssertEqual(HalfPrecision.f16Bits(0x1.8p-24), 0x0002)  // 1.5 ulp: ties to even 2
        XCTAssertEqual(HalfPrecision.f16Bits(-0x1p-26), 0x8000)  // underflow keeps the sign
        XCTAssertEqual(HalfPrecision.f16Bits(0x1.ffcp-15), 0x0400)  // subnormal rounding up into normal
    }

    func testF16SpecialValues() {
        XCTAssertEqual(HalfPrecision.f16Bits(.infinity), 0x7C00)
        XCTAssertEqual(HalfPrecision.f16Bits(-.infinity), 0xFC00)
        XCTAssertEqual(HalfPrecision.f16Bits(-0.0), 0x8000)
        XCTAssertEqual(HalfPrecision.f16Bits(1e30), 0x7C00)
        for nan in [Float.nan, -Float.nan, .signalingNaN, Float(bitPattern: 0x7F80_0001)] {
            let bits = HalfPrecision.f16Bits(nan)
            XCTAssertTrue(Float16(bitPattern: bits).isNaN, "\(nan.bitPattern)")
            XCTAssertFalse(Float16(bitPattern: bits).isSignalingNaN)
            XCTAssertEqual(bits & 0x8000 != 0, nan.sign == .minus)
            XCTAssertTrue(HalfPrecision.float(f16Bits: bits).isNaN)
        }
        XCTAssertEqual(HalfPrecision.float(f16Bits: 0x7C00), .infinity)
        XCTAssertEqual(HalfPrecision.float(f16Bits: 0xFC00), -.infinity)
    }

    func testBF16IsExactForEveryRepresentableValue() {
        for bits in UInt16.min...UInt16.max {
            let value = HalfPrecision.float(bf16Bits: bits)
            XCTAssertEqual(value.bitPattern, UInt32(bits) << 16)
            if !value.isNaN { XCTAssertEqual(HalfPrecision.bf16Bits(value), bits) }
        }
    }

    func testBF16RoundsToNearestEven() {
        XCTAssertEqual(HalfPrecision.bf16Bits(1.00390625), 0x3F80)  // halfway, even is down
        XCTAssertEqual(HalfPrecision.bf16Bits(1.01171875), 0x3F82)  // halfway, even is up
        XCTAssertEqual(HalfPrecision.bf16Bits(Float(bitPattern: 0x3F80_8001)), 0x3F81)  // above halfway
        XCTAssertEqual(HalfPrecision.bf16Bits(Float(bitPattern: 0x3F80_7FFF)), 0x3F80)  // below halfway
        XCTAssertEqual(HalfPrecision.bf16Bits(.greatestFiniteMagnitude), 0x7F80)  // rounds up to infinity
        XCTAssertEqual(HalfPrecision.bf16Bits(-.greatestFiniteMagnitude), 0xFF80)
        XCTAssertEqual(HalfPrecision.bf16Bits(Float(bitPattern: 0x7F7F_7FFF)), 0x7F7F)  // largest that stays finite
        XCTAssertEqual(HalfPrecision.bf16Bits(Float(bitPattern: 0x0000_8000)), 0x0000)  // subnormal tie to even zero
        XCTAssertEqual(HalfPrecision.bf16Bits(Float(bitPattern: 0x0001_8000)), 0x0002)
    }

    func testBF16SpecialValues() {
        XCTAssertEqual(HalfPrecision.bf16Bits(.infinity), 0x7F80)
        XCTAssertEqual(HalfPrecision.bf16Bits(-.infinity), 0xFF80)
        XCTAssertEqual(HalfPrecision.bf16Bits(-0.0), 0x8000)
        // NaNs whose payload lies only in the dropped low bits must not become infinity.
        for nan in [Float.nan, -Float.nan, .signalingNaN, Float(bitPattern: 0x7F80_0001), Float(bitPattern: 0xFF80_0001)] {
            let bits = HalfPrecision.bf16Bits(nan)
            XCTAssertTrue(HalfPrecision.float(bf16Bits: bits).isNaN, "\(nan.bitPattern)")
            XCTAssertNotEqual(bits & 0x0040, 0, "quiet bit")
            XCTAssertEqual(bits & 0x8000 != 0, nan.sign == .minus)
        }
    }
}

/// A small seeded generator (SplitMix64), so random tests repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

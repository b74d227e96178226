// Bit-exact conversions between Float32 and the 16-bit float formats F16 and BF16.
// Done on bit patterns (not via Swift's Float16) so results are identical on every
// platform and NaN payloads are handled the way we choose.

public enum HalfPrecision {
    /// IEEE binary16 bits of `x`, rounded to nearest with ties to even. Values beyond
    /// the F16 range become ±infinity, tiny ones subnormals or ±0; NaN stays a
    /// (quiet) NaN with its sign and the top bits of its payload.
    public static func f16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {
            if mantissa == 0 { return sign | 0x7C00 }
            return sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F { return sign | 0x7C00 }
        if halfExponent <= 0 {
            // Subnormal (or zero) result: shift the full significand into place and round.
            let shift = 14 - halfExponent
            if shift > 24 { return sign }
            let significand = mantissa | 0x80_0000
            var result = significand >> UInt32(shift)
            let remainder = significand & ((1 << UInt32(shift)) - 1)
            let half: UInt32 = 1 << UInt32(shift - 1)
            if remainder > half || (remainder == half && result & 1 == 1) { result += 1 }
            return sign | UInt16(result)
        }
        var result = UInt32(halfExponent) << 10 | mantissa >> 13
        let remainder = mantissa & 0x1FFF
        // A carry out of the mantissa correctly bumps the exponent (up to infinity).
        if remainder > 0x1000 || (remainder == 0x1000 && result & 1 == 1) { result += 1 }
        return sign | UInt16(result)
    }

    /// The Float32 value of IEEE binary16 bits (exact: every F16 value is a Float32).
    public static func float(f16Bits h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        var mantissa = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            if mantissa == 0 { return Float(bitPattern: sign) }
            // Subnormal: normalize into a Float32 normal number.
            var e: UInt32 = 127 - 15 + 1
            while mantissa & 0x400 == 0 {
                mantissa <<= 1
                e -= 1
            }
            return Float(bitPattern: sign | e << 23 | (mantissa & 0x3FF) << 13)
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | (exponent + 127 - 15) << 23 | mantissa << 13)
        }
    }

    /// BF16 bits of `x` (the top half of a Float32), rounded to nearest with ties to
    /// even; overflow becomes ±infinity and NaN stays a quiet NaN with its sign.
    public static func bf16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    /// The Float32 value of BF16 bits (exact).
    public static func float(bf16Bits b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }
}

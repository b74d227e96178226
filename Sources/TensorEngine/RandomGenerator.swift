// A seedable, counter-based random generator (SplitMix64 of seed and counter).
// Every value depends only on (seed, counter), so work split over threads draws the same
// numbers as one thread, and the state (two integers) saves and restores exactly.
import Foundation

public struct RandomGenerator: Codable, Sendable, Equatable {
    public var seed: UInt64
    public var counter: UInt64

    public init(seed: UInt64) { self.seed = seed; self.counter = 0 }

    /// The value at position `counter` of the stream `seed`.
    @inline(__always)
    public static func bits(seed: UInt64, counter: UInt64) -> UInt64 {
        var z = seed &+ counter &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) from the top 24 bits.
    @inline(__always)
    public static func unitFloat(_ bits: UInt64) -> Float { Float(bits >> 40) * (1.0 / 16_777_216.0) }

    public mutating func next() -> UInt64 {
        counter &+= 1
        return RandomGenerator.bits(seed: seed, counter: counter)
    }

    public mutating func nextFloat() -> Float { RandomGenerator.unitFloat(next()) }

    /// A standard normal sample (Box–Muller).
    public mutating func nextNormal() -> Float {
        let u1 = max(Double(next() >> 11) * 0x1.0p-53, 1e-300)
        let u2 = Double(next() >> 11) * 0x1.0p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Reserves `n` consecutive counters and returns the first, for parallel generation.
    public mutating func reserve(_ n: Int) -> UInt64 {
        let first = counter &+ 1
        counter &+= UInt64(n)
        return first
    }

    public mutating func nextInt(below n: Int) -> Int { Int(next() % UInt64(n)) }
}

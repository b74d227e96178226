// UTF-8 validation (Unicode Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF),
// shared by the JSON reader, tokenizer input files and safetensors headers.

public enum UTF8Validation {
    /// Index (relative to the buffer's start) of the first byte where `bytes` stops being valid
    /// UTF-8, or nil if all of it is valid.
    public static func firstInvalidIndex(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let n = bytes.count
        var i = 0
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 { i += 1; continue }
            @inline(__always) func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
                i + k < n && bytes[i + k] >= lo && bytes[i + k] <= hi
            }
            switch b0 {
            case 0xC2...0xDF: guard cont(1) else { return i }; i += 2
            case 0xE0: guard cont(1, 0xA0), cont(2) else { return i }; i += 3
            case 0xE1...0xEC, 0xEE, 0xEF: guard cont(1), cont(2) else { return i }; i += 3
            case 0xED: guard cont(1, 0x80, 0x9F), cont(2) else { return i }; i += 3
            case 0xF0: guard cont(1, 0x90), cont(2), cont(3) else { return i }; i += 4
            case 0xF1...0xF3: guard cont(1), cont(2), cont(3) else { return i }; i += 4
            case 0xF4: guard cont(1, 0x80, 0x8F), cont(2), cont(3) else { return i }; i += 4
            default: return i
            }
        }
        return nil
    }

    /// The same over an array.
    public static func firstInvalidIndex(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { firstInvalidIndex($0) }
    }
}

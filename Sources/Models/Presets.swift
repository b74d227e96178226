// Named configurations: the paper's base and big models (Table 3) and two small ones.

extension TransformerConfig {
    public static let presetNames = ["paper-base", "paper-big", "small", "tiny"]

    public static func preset(_ name: String) throws -> TransformerConfig {
        var c = TransformerConfig()
        switch name {
        case "paper-base": break   // d=512, h=8, N=6, d_ff=2048, dropout 0.1, Post-LN
        case "paper-big":
            c.dModel = 1024; c.heads = 16; c.ff = 4096; c.dropout = 0.3
        case "small":
            c.dModel = 256; c.heads = 8; c.encoderLayers = 3; c.decoderLayers = 3; c.ff = 1024
        case "tiny":
            c.dModel = 128; c.heads = 4; c.encoderLayers = 2; c.decoderLayers = 2; c.ff = 512
        default:
            throw ConfigError("unknown preset '\(name)'; choose one of \(presetNames.joined(separator: ", "))")
        }
        return c
    }
}

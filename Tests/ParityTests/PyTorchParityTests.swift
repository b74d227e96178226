// The model against PyTorch reference fixtures (scripts/pytorch_parity_fixtures.py): logits,
// loss and every weight's gradient within 1e-4 of the tensor's scale.
import Checkpoints
import Foundation
import Models
import XCTest

final class PyTorchParityTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// max |ours − theirs| / max |theirs|. The scale has a floor of 1e-4: a key bias's gradient
    /// is zero in exact arithmetic (softmax ignores a shift shared by all keys), so both sides
    /// hold only rounding noise (~1e-10) there.
    func relativeError(_ ours: Tensor, _ theirs: Tensor) -> Float {
        var diff: Float = 0, scale: Float = 0
        for i in 0..<theirs.count {
            diff = max(diff, abs(ours.data[i] - theirs.data[i]))
            scale = max(scale, abs(theirs.data[i]))
        }
        return diff / max(scale, 1e-4)
    }

    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = PyTorchParityTests.fixtures.appendingPathComponent(name)
        let loaded = try ModelDirectory.load(dir)
        let inputs = try SafetensorsFile(path: dir.appendingPathComponent("inputs.safetensors").path)
        let expected = try SafetensorsFile(path: dir.appendingPathComponent("expected.safetensors").path)
        let c = loaded.config
        let logits: Tensor, loss: Tensor
        switch loaded.model {
        case .encoderDecoder(let m):
            logits = m(source: try inputs.ids("src", below: c.srcVocab), targetIn: try inputs.ids("tgt_in", below: c.tgtVocab))
            loss = m.loss(logits: logits, targets: try inputs.ids("tgt_out", below: c.tgtVocab))
        case .decoderOnly(let m):
            logits = m(try inputs.ids("ids", below: c.tgtVocab))
            loss = m.loss(logits: logits, targets: try inputs.ids("targets", below: c.tgtVocab))
        case .encoderOnly(let m):
            logits = m(try inputs.ids("ids", below: c.srcVocab))
            loss = m.loss(logits: logits, targets: try inputs.ids("targets", below: c.srcVocab))
        }
        let refLogits = try expected.tensor("logits")
        XCTAssertEqual(logits.shape, refLogits.shape, file: file, line: line)
        XCTAssertLessThanOrEqual(relativeError(logits, refLogits), 1e-4, "\(name): logits", file: file, line: line)
        XCTAssertEqual(loss.item(), try expected.tensor("loss").item(), accuracy: 1e-4 * max(1, abs(loss.item())), "\(name): loss", file: file, line: line)
        let module = loaded.model.module
        module.zeroGrad()
        loss.backward()
        let grads = loaded.layout == .pytorch
            ? ModelDirectory.pytorchGradients(of: module, config: c)
            : module.namedParameters().map { ($0.name, $0.tensor.grad ?? Tensor(zeros: $0.tensor.shape)) }
        let gradNames = Set(expected.entries.map(\.name).filter { $0.hasPrefix("grad.") })
        XCTAssertEqual(Set(grads.map { "grad." + $0.0 }), gradNames, "\(name): every weight has a reference gradient", file: file, line: line)
        for (n, g) in grads {
            let ref = try expected.tensor("grad." + n)
            XCTAssertEqual(g.shape, ref.shape, "\(name): grad.\(n)", file: file, line: line)
            XCTAssertLessThanOrEqual(relativeError(g, ref), 1e-4, "\(name): grad.\(n)", file: file, line: line)
        }
    }

    func testPostLNReluEncoderDecoder() throws { try check("seq2seq_postln_relu") }
    func testPreLNGeluEncoderDecoder() throws { try check("seq2seq_preln_gelu") }
    func testPostLNGeluWithoutSmoothingOddModelWidth() throws { try check("seq2seq_postln_gelu_nosmoothing") }
    func testDecoderOnlyPreLN() throws { try check("decoder_only_preln") }
    func testEncoderOnlyPostLNGelu() throws { try check("encoder_only_postln_gelu") }
}

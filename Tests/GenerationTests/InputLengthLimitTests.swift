import Generation
import XCTest

final class InputLengthLimitTests: XCTestCase {
    func testCutsToTheFirstTokensAndKeepsTheSuffix() {
        let limit = InputLengthLimit(maxTokens: 4)
        XCTAssertEqual(limit.apply([5, 6, 7]).ids, [5, 6, 7])
        XCTAssertNil(limit.apply([5, 6, 7], suffix: [2]).originalCount)
        let cut = limit.apply([5, 6, 7, 8, 9], suffix: [2])
        XCTAssertEqual(cut.ids, [5, 6, 7, 2])
        XCTAssertEqual(cut.originalCount, 6)
        XCTAssertEqual(limit.apply(Array(repeating: 1, count: 10)).ids.count, 4)
        XCTAssertEqual(InputLengthLimit(maxTokens: 1).apply([5, 6], suffix: [2, 3]).ids, [2])
        XCTAssertEqual(InputLengthLimit().maxTokens, 1024)
    }
}

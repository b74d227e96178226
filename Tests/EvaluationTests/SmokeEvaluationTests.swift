import XCTest
import Evaluation
final class SmokeEvaluationTests: XCTestCase { func testBuilds() {} }

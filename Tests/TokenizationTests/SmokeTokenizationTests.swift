import XCTest
import Tokenization
final class SmokeTokenizationTests: XCTestCase { func testBuilds() {} }

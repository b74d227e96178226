import XCTest
import Autodiff
final class SmokeAutodiffTests: XCTestCase { func testBuilds() {} }

import XCTest
import Checkpoints
final class SmokeCheckpointsTests: XCTestCase { func testBuilds() {} }

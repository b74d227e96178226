import XCTest
import TensorEngine
final class SmokeTensorEngineTests: XCTestCase { func testBuilds() {} }

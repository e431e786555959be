import Foundation
import XCTest
@testable import Coordinator

/// The JSON the batched statements read with `json_each`: any string survives, plain ones copied whole.
final class BatchJSONTests: XCTestCase {
    func testRowsParseBackToTheirValues() throws {
        let strings = ["job-1-f0001-r0_0_1x1", "", "quote \" and backslash \\", "line\nbreak\ttab\r", "\u{1}\u{1f}",
                       "üñíçødé ✓ 🎬", "a/b/../c"]
        var batch = BatchJSON()
        for (i, s) in strings.enumerated() { batch.append([.string(s), .int(i - 3), .null]) }
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(batch.json.utf8)) as? [[Any]])
        XCTAssertEqual(parsed.map { $0[0] as? String }, strings)
        XCTAssertEqual(parsed.map { ($0[1] as? NSNumber)?.intValue }, Array(-3..<(strings.count - 3)))
        XCTAssertTrue(parsed.allSatisfy { $0[2] is NSNull })

        var ids = BatchJSON()
        for s in strings { ids.append(s) }
        XCTAssertEqual(try JSONSerialization.jsonObject(with: Data(ids.json.utf8)) as? [String], strings)
        XCTAssertEqual(BatchJSON().json, "[]")

        var numbers = BatchJSON()
        for n in [3, -1, 0] { numbers.append(n) }
        XCTAssertEqual(numbers.json, "[3,-1,0]")
    }
}

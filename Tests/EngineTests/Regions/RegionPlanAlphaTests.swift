import XCTest
@testable import Engine

/// Issue 20: a plate's alpha as regions, so transparent pixels stay out of the style statistics and come back as
/// the plate.
final class RegionPlanAlphaTests: XCTestCase {
    func testAnOpaquePlateNeedsNoPlanAndATransparentOneSplitsIntoOpaqueAndPhotoreal() throws {
        XCTAssertNil(RegionPlan.opaque(alpha: [1, 1, 1, 1], width: 2, height: 2), "opaque everywhere: the plain objective")
        let plan = try XCTUnwrap(RegionPlan.opaque(alpha: [1, 0.25, 0, 1.5], width: 2, height: 2))
        XCTAssertEqual(plan.regions.map(\.name), ["opaque", "transparent"])
        XCTAssertEqual(plan.regions[0].mask, [1, 0.25, 0, 1])
        XCTAssertEqual(plan.regions[0].styleSet, 0)
        XCTAssertEqual(plan.regions[1].mask, [0, 0.75, 1, 0])
        XCTAssertNil(plan.regions[1].styleSet, "photoreal: no style term")
        XCTAssertEqual(plan.photorealMask, [0, 0.75, 1, 0])
    }

    func testRegionsAreLimitedToTheOpaquePart() {
        let plan = RegionPlan(width: 2, height: 1, regions: [.init(name: "hero", mask: [1, 0.5], styleSet: nil),
                                                              .init(name: "rest", mask: [0, 0.5], styleSet: 1)])
        let limited = plan.excludingTransparent(alpha: [0.5, 1])
        XCTAssertEqual(limited.regions.map(\.name), ["hero", "rest", "transparent"])
        XCTAssertEqual(limited.regions.map(\.mask), [[0.5, 0.5], [0, 0.5], [0.5, 0]])
        XCTAssertEqual(plan.excludingTransparent(alpha: [1, 1]).regions.count, 2, "opaque: unchanged")
    }
}

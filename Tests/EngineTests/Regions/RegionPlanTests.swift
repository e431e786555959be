import XCTest
@testable import Engine

final class RegionPlanTests: XCTestCase {
    /// 4×2 frame: a person in the left half (soft at its edge), a dog at the far right.
    private func masks() -> RegionMasks {
        RegionMasks(width: 4, height: 2, named: [
            ("person", [1, 0.5, 0, 0, 1, 0.5, 0, 0]),
            ("dog", [0, 0, 0, 1, 0, 0, 0, 1]),
            ("foreground", [1, 0.5, 0, 1, 1, 0.5, 0, 1]),
        ])
    }

    func testBackgroundIsTheComplementOfTheNamedRegions() throws {
        let plan = try RegionPlan.resolve(masks: masks(), assignments: [
            RegionAssignment(name: "person", style: .none), RegionAssignment(name: "background", style: .image("b.png")),
        ], styleSets: [nil, 0], defaultStyleSet: nil)
        XCTAssertEqual(plan.regions.map(\.name), ["person", "background"])
        XCTAssertEqual(plan.regions[1].mask, [0, 0.5, 1, 1, 0, 0.5, 1, 1], "the dog belongs to the background")
        XCTAssertNil(plan.regions[0].styleSet)
        XCTAssertEqual(plan.regions[1].styleSet, 0)
        XCTAssertEqual(plan.regions[0].share + plan.regions[1].share, 1, accuracy: 1e-6)
    }

    func testTheRestTakesTheDefaultStyleOrIsAnError() throws {
        let person = [RegionAssignment(name: "Person", style: .none)]
        let plan = try RegionPlan.resolve(masks: masks(), assignments: person, styleSets: [nil], defaultStyleSet: 0)
        XCTAssertEqual(plan.regions.map(\.name), ["person", "rest"])
        XCTAssertEqual(plan.regions[1].styleSet, 0)
        XCTAssertThrowsError(try RegionPlan.resolve(masks: masks(), assignments: person, styleSets: [nil], defaultStyleSet: nil)) {
            guard case RegionError.uncoveredPixels(let share) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(share, 0.625, accuracy: 1e-6)
            XCTAssertTrue("\($0)".contains("--region background="))
        }
    }

    func testOverlappingRegionsAreNormalized() throws {
        let plan = try RegionPlan.resolve(masks: masks(), assignments: [
            RegionAssignment(name: "person", style: .image("a")), RegionAssignment(name: "foreground", style: .image("b")),
        ], styleSets: [0, 1], defaultStyleSet: 2)
        let sum = zip(plan.regions[0].mask, plan.regions[1].mask).map { $0 + $1 }
        XCTAssertTrue(sum.allSatisfy { $0 <= 1 + 1e-6 })
        XCTAssertEqual(plan.regions[0].mask[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(plan.regions.map(\.name), ["person", "foreground", "rest"])
        let total = plan.regions.map(\.share).reduce(0, +)
        XCTAssertEqual(total, 1, accuracy: 1e-6)
    }

    func testBadAssignmentsGiveClearErrors() {
        XCTAssertThrowsError(try RegionPlan.resolve(masks: masks(), assignments: [RegionAssignment(name: "horse", style: .none)],
                                                    styleSets: [nil], defaultStyleSet: 0)) {
            XCTAssertEqual($0 as? RegionError, .unknownRegion("horse", known: ["person", "dog", "foreground", "background"]))
        }
        XCTAssertThrowsError(try RegionPlan.resolve(masks: masks(), assignments: [
            RegionAssignment(name: "dog", style: .none), RegionAssignment(name: "DOG", style: .none),
        ], styleSets: [nil, nil], defaultStyleSet: 0)) { XCTAssertEqual($0 as? RegionError, .duplicateRegion("DOG")) }
        XCTAssertThrowsError(try RegionAssignment(parsing: "person")) { XCTAssertTrue("\($0)".contains("NAME=")) }
        XCTAssertThrowsError(try RegionSource(parsing: "matte")) { XCTAssertTrue("\($0)".contains("matte:PATH")) }
        XCTAssertEqual(try RegionSource(parsing: "matte:/a/b.png"), .matte(path: "/a/b.png"))
        XCTAssertEqual(try RegionAssignment(parsing: "person = None").style, .none)
        XCTAssertEqual(try RegionAssignment(parsing: "background=x/y.png").style, .image("x/y.png"))
    }

    func testRegionWeightsAreParsed() throws {
        var assignments = [RegionAssignment(name: "person", style: .none)]
        try RegionAssignment.applyWeights(["person:content=2,style=0.5"], to: &assignments)
        XCTAssertEqual(assignments[0].contentWeight, 2)
        XCTAssertEqual(assignments[0].styleWeight, 0.5)
        XCTAssertThrowsError(try RegionAssignment.applyWeights(["cat:content=2"], to: &assignments))
        XCTAssertThrowsError(try RegionAssignment.applyWeights(["person:color=2"], to: &assignments))
        XCTAssertThrowsError(try RegionAssignment.applyWeights(["person:content=-1"], to: &assignments))
    }

    func testEmptyRegionsAreSkippedWithAWarning() throws {
        let empty = RegionMasks(width: 4, height: 2, named: [("cat", [Float](repeating: 0, count: 8))])
        let plan = try RegionPlan.resolve(masks: empty, assignments: [RegionAssignment(name: "cat", style: .image("c"))],
                                          styleSets: [1], defaultStyleSet: 0)
        XCTAssertEqual(plan.regions.map(\.name), ["rest"])
        XCTAssertEqual(plan.warnings.count, 1)
        XCTAssertTrue(plan.warnings[0].contains("'cat'"), plan.warnings[0])
    }

    func testMattesAndIDMapsMustHaveTheContentsSize() throws {
        let matte = Image(width: 3, height: 2, channels: 1, pixels: [0, 0.5, 1, 1, 1, 1])
        XCTAssertThrowsError(try RegionMasks(matte: matte, source: "matte m.png", width: 4, height: 2)) {
            XCTAssertEqual("\($0)", "matte m.png is 3x2 but the content image is 4x2; a matte or ID map must have the content's size")
        }
        let masks = try RegionMasks(matte: matte, source: "m", width: 3, height: 2)
        XCTAssertEqual(masks.mask(named: "foreground"), [0, 0.5, 1, 1, 1, 1])
        XCTAssertEqual(masks.mask(named: "background"), [1, 0.5, 0, 0, 0, 0])
        // Alpha wins over gray.
        let rgba = Image(width: 1, height: 1, channels: 4, pixels: [1, 1, 1, 0.25])
        XCTAssertEqual(try RegionMasks(matte: rgba, source: "m", width: 1, height: 1).mask(named: "foreground"), [0.25])

        let ids = Image(width: 2, height: 2, channels: 3, pixels: [1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1])
        let idMasks = try RegionMasks(idMap: ids, source: "ids", width: 2, height: 2)
        XCTAssertEqual(idMasks.names, ["#ff0000", "#0000ff", "#ffffff"])
        XCTAssertEqual(idMasks.mask(named: "FF0000"), [1, 0, 1, 0])
        let noisy = Image(width: 80, height: 1, channels: 1, pixels: (0..<80).map { Float($0) / 255 })
        XCTAssertThrowsError(try RegionMasks(idMap: noisy, source: "ids", width: 80, height: 1)) {
            XCTAssertEqual($0 as? RegionError, .tooManyIDColors(found: 65, limit: 64))
        }
    }

    func testPlansResizeWithTheirMasks() throws {
        let plan = try RegionPlan.resolve(masks: masks(), assignments: [RegionAssignment(name: "person", style: .none)],
                                          styleSets: [nil], defaultStyleSet: 0)
        let big = try plan.resized(width: 8, height: 4)
        XCTAssertEqual(big.regions.count, 2)
        XCTAssertEqual(big.regions[0].mask.count, 32)
        XCTAssertEqual(big.regions[0].share, plan.regions[0].share, accuracy: 0.08)
    }
}

# Convenience targets. The Swift build itself is plain SwiftPM (`swift build`, `swift test`).

.PHONY: generate generate-check figures

## Regenerate Swift code from protos/ (see scripts/generate-protos.sh).
generate:
	scripts/generate-protos.sh

## Fail when the committed generated code is stale.
generate-check:
	scripts/generate-protos.sh --check

STYLEFARM_TEST_DATA ?= ../shared/data

## Regenerate docs/figures (stylization with and without segmentation, measured region losses).
## Needs a release build and `stylefarm models install --demo --segmentation`.
figures:
	.build/release/stylefarm figures --data $(STYLEFARM_TEST_DATA) --out docs/figures --size 256 --iterations 150

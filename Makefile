# Convenience targets. The Swift build itself is plain SwiftPM (`swift build`, `swift test`).

.PHONY: generate generate-check

## Regenerate Swift code from protos/ (see scripts/generate-protos.sh).
generate:
	scripts/generate-protos.sh

## Fail when the committed generated code is stale.
generate-check:
	scripts/generate-protos.sh --check

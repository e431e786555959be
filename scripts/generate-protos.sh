#!/usr/bin/env bash
# Regenerates the Swift code for every .proto file under protos/ with protoc + protoc-gen-swift.
#
#   scripts/generate-protos.sh           regenerate into the committed output folders
#   scripts/generate-protos.sh --check   regenerate into a temporary folder and fail (exit 1) when the
#                                        committed files differ; skips (exit 0) when protoc is absent
#
# protoc-gen-swift must match the SwiftProtobuf runtime the package resolves (1.39.0). It is taken from
#   $PROTOC_GEN_SWIFT (a path to the plugin binary), else
#   built from the swift-protobuf checkout of a previous `swift build` ($SWIFT_PROTOBUF_CHECKOUT, else
#   the first .build*/checkouts/swift-protobuf in the repository) into .build-protoc-gen-swift/.
# protoc itself comes from PATH (Debian: apt-get install protobuf-compiler).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# One line per proto folder:
#   "<folder with .proto files>:<output folder for .pb.swift files>[:<Visibility>]"
# where Visibility (protoc-gen-swift's option: Internal or Public) defaults to Internal. The ONNX
# subset stays internal to ModelStore; the farm protocol is public because Coordinator and Worker use it.
TARGETS=(
  "protos/onnx:Sources/ModelStore/Generated"
  "protos/stylefarm/v1:Sources/Protocol/Generated:Public"
)

# Options for protoc-gen-swift shared by every target (Visibility is per target, above).
SWIFT_OPTS=(--swift_opt=FileNaming=DropPath)

EXPECTED_SWIFT_PROTOBUF="1.39.0"

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

if ! command -v protoc >/dev/null 2>&1; then
  if [[ $check == 1 ]]; then
    echo "generate-protos: protoc not found on PATH; skipping the generated-code check" >&2
    exit 0
  fi
  echo "generate-protos: protoc not found on PATH; install it (Debian: apt-get install protobuf-compiler)" >&2
  exit 1
fi

find_plugin() {
  if [[ -n "${PROTOC_GEN_SWIFT:-}" ]]; then
    [[ -x "$PROTOC_GEN_SWIFT" ]] || { echo "generate-protos: PROTOC_GEN_SWIFT=$PROTOC_GEN_SWIFT is not executable" >&2; exit 1; }
    echo "$PROTOC_GEN_SWIFT"; return
  fi
  local checkout="${SWIFT_PROTOBUF_CHECKOUT:-}"
  if [[ -z "$checkout" ]]; then
    for candidate in "$ROOT"/.build*/checkouts/swift-protobuf; do
      [[ -f "$candidate/Package.swift" ]] && { checkout="$candidate"; break; }
    done
  fi
  if [[ -z "$checkout" || ! -f "$checkout/Package.swift" ]]; then
    echo "generate-protos: no swift-protobuf checkout found; run \`swift package resolve\` (or a swift build) first," >&2
    echo "                 or set PROTOC_GEN_SWIFT to a protoc-gen-swift $EXPECTED_SWIFT_PROTOBUF binary" >&2
    exit 1
  fi
  local version
  version="$(git -C "$checkout" describe --tags --exact-match 2>/dev/null || echo unknown)"
  if [[ "$version" != "$EXPECTED_SWIFT_PROTOBUF" ]]; then
    echo "generate-protos: warning: swift-protobuf checkout is $version, expected $EXPECTED_SWIFT_PROTOBUF" >&2
  fi
  local scratch="$ROOT/.build-protoc-gen-swift"
  if [[ ! -x "$scratch/release/protoc-gen-swift" || "$checkout/Package.swift" -nt "$scratch/release/protoc-gen-swift" ]]; then
    echo "generate-protos: building protoc-gen-swift from $checkout" >&2
    swift build -c release --product protoc-gen-swift --package-path "$checkout" --scratch-path "$scratch" >&2
  fi
  echo "$scratch/release/protoc-gen-swift"
}

PLUGIN="$(find_plugin)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

status=0
for target in "${TARGETS[@]}"; do
  IFS=: read -r proto_dir out_dir visibility <<<"$target"
  visibility="${visibility:-Internal}"
  mapfile -t protos < <(cd "$proto_dir" && find . -name '*.proto' | sed 's|^\./||' | sort)
  if [[ ${#protos[@]} == 0 ]]; then
    echo "generate-protos: no .proto files in $proto_dir" >&2; exit 1
  fi
  gen="$tmp/$out_dir"
  mkdir -p "$gen"
  protoc --plugin=protoc-gen-swift="$PLUGIN" --proto_path="$proto_dir" \
    --swift_out="$gen" --swift_opt=Visibility="$visibility" "${SWIFT_OPTS[@]}" "${protos[@]}"
  if [[ $check == 1 ]]; then
    # Compare only generated files: the output folders may hold other files (README.md).
    if ! diff -r -u <(cd "$gen" && find . -name '*.pb.swift' | sort) \
                    <(mkdir -p "$out_dir" && cd "$out_dir" && find . -name '*.pb.swift' | sort) >/dev/null; then
      echo "generate-protos: the set of generated files in $out_dir differs from $proto_dir" >&2
      status=1
    fi
    while IFS= read -r f; do
      if ! cmp -s "$gen/$f" "$out_dir/$f"; then
        echo "generate-protos: $out_dir/$f is stale; run scripts/generate-protos.sh" >&2
        status=1
      fi
    done < <(cd "$gen" && find . -name '*.pb.swift' | sed 's|^\./||' | sort)
  else
    mkdir -p "$out_dir"
    find "$out_dir" -name '*.pb.swift' -delete
    cp -R "$gen/." "$out_dir/"
    echo "generate-protos: $proto_dir -> $out_dir (${#protos[@]} file(s))"
  fi
done

if [[ $check == 1 && $status == 0 ]]; then
  echo "generate-protos: generated code is up to date"
fi
exit $status

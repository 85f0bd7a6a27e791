#!/usr/bin/env bash
# Build the Claude Desktop bundle: dist/skills-publisher-mcp-<version>.mcpb
#
#   scripts/build_mcpb.sh
#
# Needs Node.js (npx fetches the official MCPB CLI; set MCPB to use another, e.g. MCPB=mcpb).
# The bundle uses the MCPB "uv" server type (manifest_version 0.4): it carries manifest.json,
# pyproject.toml, README.md (the build backend reads it) and the skills_mcp source, and no
# dependencies; on install, the host runs `uv run`, which installs them from pyproject.toml for the
# user's own platform. Install the result by opening it with Claude Desktop (or drag it onto
# Settings > Extensions).
set -euo pipefail
cd "$(dirname "$0")/.."

MCPB="${MCPB:-npx --yes @anthropic-ai/mcpb@2.1.2}"

# The bundle is named and versioned as the distribution: pyproject.toml's [project], which manifest.json must match.
project() { awk -F'"' -v key="$1" '/^\[/ { p = ($0 == "[project]") } p && $1 ~ "^"key" *= *$" { print $2; exit }' pyproject.toml; }
for key in name version; do
    ours=$(project "$key")
    manifest=$(node -p "require('./manifest.json').$key")
    if [[ -z "$ours" || "$ours" != "$manifest" ]]; then
        echo "error: pyproject.toml $key '$ours' differs from manifest.json $key '$manifest'" >&2
        exit 1
    fi
done
name=$(project name)
version=$(project version)

# Stage only what the bundle needs, so nothing else in the checkout can slip in.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage="$tmp/$name"
mkdir "$stage"
cp -R manifest.json pyproject.toml README.md .mcpbignore skills_mcp "$stage/"
for extra in LICENSE LICENSE.txt LICENSE.md; do
    if [[ -f "$extra" ]]; then cp "$extra" "$stage/"; fi
done

out="dist/$name-$version.mcpb"
mkdir -p dist
rm -f "$out"
$MCPB validate "$stage/manifest.json"
$MCPB pack "$stage" "$out"

echo "Built $out ($(wc -c < "$out" | tr -d ' ') bytes)"

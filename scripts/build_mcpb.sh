#!/usr/bin/env bash
# Build the Claude Desktop bundle: dist/skills-mcp-<version>.mcpb
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

version=$(awk -F'"' '/^\[/ { p = ($0 == "[project]") } p && /^version *=/ { print $2; exit }' pyproject.toml)
manifest_version=$(node -p 'require("./manifest.json").version')
if [[ -z "$version" || "$version" != "$manifest_version" ]]; then
    echo "error: pyproject.toml version '$version' differs from manifest.json version '$manifest_version'" >&2
    exit 1
fi

# Stage only what the bundle needs, so nothing else in the checkout can slip in.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage="$tmp/skills-mcp"
mkdir "$stage"
cp -R manifest.json pyproject.toml README.md .mcpbignore skills_mcp "$stage/"
for extra in LICENSE LICENSE.txt LICENSE.md; do
    if [[ -f "$extra" ]]; then cp "$extra" "$stage/"; fi
done

out="dist/skills-mcp-$version.mcpb"
mkdir -p dist
rm -f "$out"
$MCPB validate "$stage/manifest.json"
$MCPB pack "$stage" "$out"

echo "Built $out ($(wc -c < "$out" | tr -d ' ') bytes)"

#!/usr/bin/env bash
# The GitHub Action's install step: skills-publisher-mcp into the `python` on PATH (actions/setup-python's).
# INPUT_VERSION empty: the action's own checkout ($GITHUB_ACTION_PATH), so `uses: owner/repo@TAG` runs that
# tag's code; "latest": the newest release on PyPI; X.Y.Z: that release. No `set -x`: nothing here is echoed.
set -euo pipefail

version="${INPUT_VERSION:-}"
version="${version#"${version%%[![:space:]]*}"}"  # trim, as the inputs of the run step are
version="${version%"${version##*[![:space:]]}"}"
if [[ -z "$version" ]]; then
  if [[ -z "${GITHUB_ACTION_PATH:-}" ]]; then
    echo "::error title=skills-mcp action::GITHUB_ACTION_PATH is not set: run this script as the action's step, or set input \`version\`"
    exit 2
  fi
  requirement="$GITHUB_ACTION_PATH"
  echo "Installing skills-publisher-mcp from the action's checkout, $GITHUB_ACTION_PATH." >&2
elif [[ "$version" == latest ]]; then
  requirement=skills-publisher-mcp
  echo "Installing the newest skills-publisher-mcp release." >&2
elif [[ "$version" =~ ^[0-9][0-9A-Za-z.+!-]*$ ]]; then
  requirement="skills-publisher-mcp==$version"
  echo "Installing skills-publisher-mcp $version." >&2
else
  echo "::error title=skills-mcp action::input \`version\` is '$version': give a release such as 0.2.0, 'latest' for the newest, or leave it empty for this action's own code"
  exit 2
fi
python -m pip install --disable-pip-version-check --quiet "$requirement"
python -m skills_mcp --version

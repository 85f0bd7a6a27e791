#!/usr/bin/env bash
# The GitHub Action's install step: skills-publisher-mcp into the `python` on PATH (actions/setup-python's),
# at INPUT_VERSION, or the newest when it is empty or "latest". No `set -x`: nothing here is echoed.
set -euo pipefail

version="${INPUT_VERSION:-}"
version="${version#"${version%%[![:space:]]*}"}"  # trim, as the inputs of the run step are
version="${version%"${version##*[![:space:]]}"}"
if [[ -z "$version" || "$version" == latest ]]; then
  requirement=skills-publisher-mcp
elif [[ "$version" =~ ^[0-9][0-9A-Za-z.+!-]*$ ]]; then
  requirement="skills-publisher-mcp==$version"
else
  echo "::error title=skills-mcp action::input \`version\` is '$version': give a release such as 0.2.0, or leave it empty for the newest"
  exit 2
fi
python -m pip install --disable-pip-version-check --quiet "$requirement"
python -m skills_mcp --version

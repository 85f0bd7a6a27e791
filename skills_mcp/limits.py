"""Limits the Skills API documents, shared by the publisher and the emulator."""

# "Under 30 MB, all files combined" (skills guide). Decimal megabytes: the smaller reading is the safe one.
MAX_UPLOAD_BYTES = 30_000_000

# Not documented by the API; the most `files[]` parts the emulator accepts in one upload, so that
# validation refuses what the emulator would (a refused publish sends nothing).
MAX_FILES = 10_000

# Our own caps, so validation reads little whatever the folder holds. SKILL.md is loaded into the
# model's context: the skills guide asks for under 500 lines, so 1 MB is far past any real one.
MAX_SKILL_MD_BYTES = 1_000_000
MAX_SKILLIGNORE_BYTES = 100_000
# Wildcards in one .skillignore line: a failing match of `*a*a*b` tries every split of the name, so
# the work grows as (name length) ** (stars in one part between slashes). Two per part stay cheap.
MAX_STARS_PER_PART = 2
MAX_STARS_PER_LINE = 4

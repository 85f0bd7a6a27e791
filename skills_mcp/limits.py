"""Limits the Skills API documents, shared by the publisher and the emulator."""

# "Under 30 MB, all files combined" (skills guide). Decimal megabytes: the smaller reading is the safe one.
MAX_UPLOAD_BYTES = 30_000_000

# Not documented by the API; the most `files[]` parts the emulator accepts in one upload, so that
# validation refuses what the emulator would (a refused publish sends nothing).
MAX_FILES = 10_000

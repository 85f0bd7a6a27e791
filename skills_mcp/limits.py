"""Limits the Skills API documents, shared by the publisher and the emulator."""

# "Under 30 MB, all files combined" (skills guide). Decimal megabytes: the smaller reading is the safe one.
MAX_UPLOAD_BYTES = 30_000_000

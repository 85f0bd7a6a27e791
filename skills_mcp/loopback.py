"""The host names a client on this machine uses for it: always answered, by the HTTP transport and the emulator."""

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")

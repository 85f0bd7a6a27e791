"""A local emulator of the Anthropic Skills API: in-process for tests, or served (`run_emulator`) with its
skills kept in a folder, for offline use.

Nothing in the package imports it at startup: only tests and explicit requests do.
"""

from .app import EmulatorState, RecordedRequest, create_app
from .database import Store
from .dbfile import DataDirError
from .faults import Fault, FaultQueue
from .serve import run_emulator, serve_in_thread
from .store import EmulatorError

__all__ = [
    "DataDirError",
    "EmulatorError",
    "EmulatorState",
    "Fault",
    "FaultQueue",
    "RecordedRequest",
    "Store",
    "create_app",
    "run_emulator",
    "serve_in_thread",
]

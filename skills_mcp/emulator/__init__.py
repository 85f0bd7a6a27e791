"""A local, in-process emulator of the Anthropic Skills API, for tests and offline demos.

Nothing in the package imports it at startup: only tests and explicit requests do.
"""

from .app import EmulatorState, RecordedRequest, create_app
from .faults import Fault
from .serve import serve_in_thread
from .store import EmulatorError

__all__ = ["EmulatorError", "EmulatorState", "Fault", "RecordedRequest", "create_app", "serve_in_thread"]

"""A simulator of the Connect Call API, for the tests and the demo.

Not shipped to users: it lives beside the integration, not inside it.
"""

from .app import FAULTS, Format, Simulator, create_app
from .core import SCENARIOS, Behaviour, ConnectCallServer

__all__ = [
    "FAULTS",
    "SCENARIOS",
    "Behaviour",
    "ConnectCallServer",
    "Format",
    "Simulator",
    "create_app",
]

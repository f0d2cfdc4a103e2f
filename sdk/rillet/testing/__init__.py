"""Test helpers shipped with rillet: a scriptable fault-injection HTTP server, built on the
emulator's ``ReplyServer``."""

from rillet.testing.fault_server import FaultServer, RecordedRequest, Reply

__all__ = ["FaultServer", "RecordedRequest", "Reply"]

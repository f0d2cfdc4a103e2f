"""Test helpers shipped with rillet: a scriptable fault-injection HTTP server, built on the
emulator's ``ReplyServer``, and the randomized soak that runs on it
(``python -m rillet.testing.soak``)."""

from rillet.testing.fault_server import FaultServer, RecordedRequest, Reply

__all__ = ["FaultServer", "RecordedRequest", "Reply"]

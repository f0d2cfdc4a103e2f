"""Built-in provider adapters: each maps its provider's wire events to ``StreamChunk``."""

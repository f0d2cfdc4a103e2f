"""Google Vertex AI: Gemini (``provider="vertex"``) and Claude (``provider="vertex-anthropic"``)."""

from rillet.providers.vertex._anthropic import VERTEX_ANTHROPIC_VERSION, VertexAnthropicAdapter
from rillet.providers.vertex._gemini import VertexAdapter

__all__ = ["VERTEX_ANTHROPIC_VERSION", "VertexAdapter", "VertexAnthropicAdapter"]

"""Ids that rillet makes up where a provider gives none."""

from __future__ import annotations

import secrets

__all__ = ["new_tool_call_id"]


def new_tool_call_id() -> str:
    """A fresh tool-call id, for providers (Gemini) whose calls may come without one."""
    return f"call_{secrets.token_hex(12)}"

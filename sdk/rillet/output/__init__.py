"""Structured output: JSON text streamed as typed partial values."""

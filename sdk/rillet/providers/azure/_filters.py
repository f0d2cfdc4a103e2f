"""Azure's content filter on the OpenAI Chat stream: the verdicts kept, its opening chunk read.

Azure opens a stream with a chunk of its own: empty ``choices``, empty ``id`` and ``model``, and
``prompt_filter_results`` (the verdict on the prompt); every later chunk carries
``content_filter_results`` on its choice. The opening chunk starts nothing (the response's id
and model come with the next one); the prompt's verdict, and the verdict on the choice that
ended with ``finish_reason: content_filter`` (which category, ``filtered``, ``severity``), go
on the stop chunk's ``provider_details`` as Azure sent them. Verdicts that filtered nothing on
an answer that was not filtered are left out: they repeat on every chunk and say "safe"
(the prompt's verdict is kept whatever it says: it comes once).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rillet.protocol import StopChunk, StreamChunk
from rillet.providers._mapper import NO_CHUNKS
from rillet.providers.openai_chat._mapper import ChatMapper
from rillet.transport import Frame

__all__ = ["AzureChatMapper"]

_PROMPT_VERDICT = '"prompt_filter_results"'
_FILTERED = '"filtered":true'
_FILTER_FINISH = '"content_filter"'  # the finish reason's value (keys have _results)


class AzureChatMapper(ChatMapper):
    """``ChatMapper`` that reads Azure's content-filter fields (the generated wire types drop
    them, so the few frames that hold a verdict worth keeping are parsed again, whole)."""

    def __init__(self, provider: str) -> None:
        super().__init__(provider)
        self._details: dict[str, Any] = {}

    def feed(self, frame: Frame) -> Sequence[StreamChunk]:
        data = frame.data
        if _PROMPT_VERDICT in data or _FILTERED in data or _FILTER_FINISH in data:
            event = _object(data)
            prompt = event.get("prompt_filter_results")
            if prompt is not None:
                self._details["prompt_filter_results"] = prompt
                if not event.get("choices") and not self._started:
                    return NO_CHUNKS  # Azure's opening chunk: no id, no model, no content yet
            for choice in event.get("choices") or ():
                verdict = isinstance(choice, dict) and choice.get("content_filter_results")
                if verdict and not choice.get("index"):
                    self._details["content_filter_results"] = verdict
        return super().feed(frame)

    def _stop(self) -> Sequence[StreamChunk]:
        out = list(super()._stop())
        if self._details and out and isinstance(out[-1], StopChunk):
            out[-1] = out[-1].model_copy(update={"provider_details": dict(self._details)})
        return out


def _object(data: str) -> dict[str, Any]:
    try:
        event = json.loads(data)
    except ValueError:
        return {}  # not JSON: the base mapper says so, typed
    return event if isinstance(event, dict) else {}

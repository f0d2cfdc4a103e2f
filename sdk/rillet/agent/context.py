"""``RunContext``: one run's state, as a strategy sees it: the conversation, tools, events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rillet._deprecation import RenamedAttribute
from rillet.agent._output import RunOutput
from rillet.agent.executor import EventDispatcher, EventT
from rillet.agent.result import AgentResult
from rillet.agent.tools import AgentTool
from rillet.client import LLMClient
from rillet.protocol import LLMRequest, LLMResponse, Message, ToolDefinition

__all__ = ["RunContext"]


class RunContext:
    """What a strategy works with: it appends to ``messages`` and ``responses`` as turns go.

    ``steps`` counts the model turns started; ``partial`` is the response of a turn that failed
    or was cancelled part way (what had arrived), kept for the terminal event.
    """

    request_options = RenamedAttribute[dict[str, Any]]("request_fields")  # deprecated name

    def __init__(
        self,
        *,
        client: LLMClient,
        tools: Mapping[str, AgentTool],
        messages: list[Message],
        max_steps: int,
        dispatcher: EventDispatcher,
        request_fields: Mapping[str, Any],
        output: RunOutput | None = None,
    ) -> None:
        self.client = client
        self.tools = dict(tools)
        self.messages = messages
        self.max_steps = max_steps
        self.request_fields = dict(request_fields)
        self.responses: list[LLMResponse] = []
        self.steps = 0
        self.partial: LLMResponse | None = None
        self.output = output
        """How turns ask for the structured output, None without one."""
        self.output_value: Any = None
        """The validated output, once the final turn gave it (``output_given``)."""
        self.output_given = False
        self._dispatcher = dispatcher
        self._definitions = [
            ToolDefinition(name=t.name, description=t.description, parameters=t.parameters)
            for t in self.tools.values()
        ]

    @property
    def run_id(self) -> str:
        return self._dispatcher.run_id

    async def emit(self, cls: type[EventT], /, *, block: bool = True, **fields: Any) -> EventT:
        """Emit the run's next event (``run_id``, ``sequence`` and ``timestamp`` are filled in)."""
        return await self._dispatcher.emit(cls, block=block, **fields)

    def build_request(self) -> LLMRequest:
        """The request for the next turn: the conversation so far, the tools, the fields (and
        the structured output asked for)."""
        request = self.client.build_request(
            self.messages, tools=self._definitions, **self.request_fields
        )
        return request if self.output is None else self.output.request(request)

    def last_response(self) -> LLMResponse | None:
        """The partial response of an unfinished turn, else the last complete one."""
        if self.partial is not None:
            return self.partial
        return self.responses[-1] if self.responses else None

    def result(self) -> AgentResult[Any]:
        """The run as it stands (its last response must exist)."""
        return AgentResult(
            run_id=self.run_id,
            response=self.responses[-1],
            messages=list(self.messages),
            responses=list(self.responses),
            output=self.output_value,
        )

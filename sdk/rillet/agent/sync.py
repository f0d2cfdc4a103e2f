"""``SyncRuntime``: an ``AgentRuntime`` for blocking code, on a ``SyncLLMClient``'s loop thread.

    with SyncLLMClient(provider="anthropic", model="claude-sonnet-4-5") as client:
        runtime = RuntimeBuilder().with_client(client).with_tools(get_weather).build_sync()
        result = runtime.run("Weather in Paris?")
        with runtime.events("And in Rome?") as events:
            for event in events:
                ...

Runs go on the client's event loop thread, so callbacks are called there; a sync tool runs in
a worker thread as in any run. An interrupt while ``run`` or ``next`` waits cancels the run
(closing the model stream's connection, emitting ``AGENT_CANCELLED``) before it is raised again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic

from rillet._exceptions import ConfigurationError
from rillet.agent.events import AgentEvent
from rillet.agent.executor import EventCallback
from rillet.agent.result import AgentResult, OutputT
from rillet.sync import SyncIterator, SyncLLMClient

if TYPE_CHECKING:
    from rillet.agent.runtime import AgentEventStream, AgentRuntime, RunInput

__all__ = ["SyncAgentEventStream", "SyncRuntime"]


class SyncAgentEventStream(SyncIterator[AgentEvent], Generic[OutputT]):
    """One run's events for blocking code: ``with runtime.events(p) as events: for e in events``.

    Leaving ``with`` early cancels the run. ``result`` is the ``AgentResult`` once it ended well.
    """

    def __init__(self, events: AgentEventStream[OutputT], client: SyncLLMClient) -> None:
        super().__init__(events, client)
        self._events = events

    def __enter__(self) -> SyncAgentEventStream[OutputT]:
        return self

    @property
    def result(self) -> AgentResult[OutputT]:
        return self._events.result


class SyncRuntime(Generic[OutputT]):
    """``AgentRuntime`` with blocking ``run`` and ``events``; ``RuntimeBuilder.build_sync()``
    makes one. Threads may run it at once, as tasks may run an ``AgentRuntime``."""

    def __init__(self, client: SyncLLMClient, runtime: AgentRuntime[OutputT]) -> None:
        if runtime.client is not client._client:
            raise ConfigurationError("the runtime must run on the SyncLLMClient's own client")
        self.client = client
        self.runtime = runtime

    def run(
        self, prompt: RunInput, *, on_event: EventCallback | None = None
    ) -> AgentResult[OutputT]:
        """Run to the end: the ``AgentResult``, or the error the run ended in."""
        return self.client._runner.run(self.runtime.run(prompt, on_event=on_event))

    def events(self, prompt: RunInput) -> SyncAgentEventStream[OutputT]:
        """The run's events, pulled; the run starts at the first ``next``."""
        events = self.client._runner.call(self.runtime.events, prompt)
        return SyncAgentEventStream(events, self.client)

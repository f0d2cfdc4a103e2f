"""The structured-output cases: the client asks for ``output=`` and reads the stream as field
events, then as the validated value.

The model's JSON is cut inside strings, escapes (between a backslash and its quote, inside
``\\u00e9``), between and inside the halves of a surrogate pair, and inside numbers and
literals: the incremental parser must rebuild it exactly, each string's fragments joining to
its value. In native mode the JSON comes as text; in tool mode (``output_mode="tool"``) as the
arguments of the one forced tool the client adds, which the client turns back into text (the
tap still sees the tool call the provider sent). An output that is not JSON, or is JSON that
does not fit the type, ends in ``OutputValidationError`` holding everything that arrived; a
refusal (OpenAI's refusal text, Anthropic's ``refusal`` stop) in ``OutputRefusedError`` with the
model's words (Gemini and Bedrock have no refusal form: their safety stops say nothing).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from pydantic import BaseModel

from rillet._exceptions import OutputRefusedError, OutputValidationError
from rillet.conformance.cases import Case
from rillet.conformance.expectation import ExpectedOutput
from rillet.emulator import WIRES, Scenario, ToolCallSpec

__all__ = ["OUTPUT_CASES", "Receipt", "ReceiptLine"]


class ReceiptLine(BaseModel):
    sku: str
    qty: int
    price: float


class Receipt(BaseModel):
    shop: str
    note: str
    lines: list[ReceiptLine]
    paid: bool
    ref: str | None


RECEIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "shop": {"type": "string"},
        "note": {"type": "string"},
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string"},
                    "qty": {"type": "integer"},
                    "price": {"type": "number"},
                },
                "required": ["sku", "qty", "price"],
                "additionalProperties": False,
            },
        },
        "paid": {"type": "boolean"},
        "ref": {"type": ["string", "null"]},
    },
    "required": ["shop", "note", "lines", "paid", "ref"],
    "additionalProperties": False,
}
"""``Receipt`` as a JSON Schema with no ``$defs`` (tool mode: a tool's parameters)."""

_LINES_RAW = (
    '[{"sku":"A-1","qty":3,"price":-12.5e-1},{"sku":"\\u65e5\\u672c","qty":10,"price":1234.5678}]'
)
RAW = (
    '{"shop":"Caf\\u00e9 \\"Zur Linde\\"","note":"line\\nbreak \\ud83c\\udf50 pear\\\\path",'
    f'"lines":{_LINES_RAW},"paid":true,"ref":null}}'
)
"""The model's JSON: escapes, a surrogate pair, a negative exponent, non-ASCII through escapes."""


def _cuts(raw: str, *fragments: str) -> tuple[int, ...]:
    """Offsets in the middle of the first occurrence of each fragment (and right after the
    backslash of those that start with one)."""
    cuts: set[int] = set()
    for fragment in fragments:
        start = raw.index(fragment)
        cuts.add(start + max(1, len(fragment) // 2))
        if fragment.startswith("\\"):
            cuts.add(start + 1)
    return tuple(sorted(cuts))


def _pieces(raw: str, cuts: tuple[int, ...]) -> tuple[str, ...]:
    bounds = [0, *cuts, len(raw)]
    return tuple(raw[a:b] for a, b in itertools.pairwise(bounds))


_SPLITS = (
    "Zur Linde",  # inside a string
    "\\u00e9",  # inside an escape
    '\\"Z',  # between a backslash and its quote
    "\\n",
    "\\ud83c\\udf50",  # between the halves of a surrogate pair
    "\\udf50",  # inside the second half
    "\\\\p",
    "-12.5e-1",  # inside numbers
    "1234.5678",
    "true",  # inside literals
    "null",
)


def _split(raw: str) -> tuple[str, ...]:
    return _pieces(raw, _cuts(raw, *(f for f in _SPLITS if f in raw)))


LIST_RAW = f'{{"value":{_LINES_RAW}}}'
REFUSAL = ("I can't help ", "with that receipt.")
NOT_JSON = ("Here is the receipt: ", '{"shop":"Caf\\u00e9"}')
NOT_FITTING = '{"shop":"Caf\\u00e9","note":"","lines":[{"sku":"A-1","qty":"three","price":1}],"paid":true,"ref":null}'

OUTPUT_CASES: tuple[Case, ...] = (
    Case(
        "output",
        "a typed output in the adapter's own form (native where it has one), cut inside "
        "strings, escapes, surrogate pairs and numbers",
        Scenario("output", text=_split(RAW)),
        output=ExpectedOutput(Receipt, RAW, json.loads(RAW), Receipt.model_validate_json(RAW)),
    ),
    Case(
        "output-tool",
        "the same output as one forced tool's arguments (output_mode='tool')",
        Scenario(
            "output-tool",
            tool_calls=(
                ToolCallSpec(
                    "Receipt",
                    json.loads(RAW),
                    id="call_receipt_1",
                    splits=_cuts(RAW, *_SPLITS),
                    raw_arguments=RAW,
                ),
            ),
            finish="tool_calls",
        ),
        output=ExpectedOutput(
            {**RECEIPT_SCHEMA, "title": "Receipt"},
            RAW,
            json.loads(RAW),
            json.loads(RAW),
            mode="tool",
            tool="Receipt",
        ),
    ),
    Case(
        "output-list",
        "a list output, wrapped in an object on the wire and unwrapped for the caller",
        Scenario("output-list", text=_split(LIST_RAW)),
        output=ExpectedOutput(
            list[ReceiptLine],
            LIST_RAW,
            json.loads(_LINES_RAW),
            [ReceiptLine.model_validate(line) for line in json.loads(_LINES_RAW)],
        ),
    ),
    Case(
        "output-not-json",
        "text before the JSON: OutputValidationError holding everything that arrived",
        Scenario("output-not-json", text=NOT_JSON),
        error=OutputValidationError,
        output=ExpectedOutput(Receipt, "".join(NOT_JSON), None),
    ),
    Case(
        "output-not-fitting",
        "JSON that does not fit the type: OutputValidationError holding the raw text",
        Scenario("output-not-fitting", text=_split(NOT_FITTING)),
        error=OutputValidationError,
        output=ExpectedOutput(Receipt, NOT_FITTING, json.loads(NOT_FITTING)),
    ),
    Case(
        "output-refusal",
        "the model refuses: OutputRefusedError with its words (not on Gemini or Bedrock, which "
        "have no refusal form: their safety stops say nothing)",
        Scenario("output-refusal", refusal=REFUSAL),
        error=OutputRefusedError,
        output=ExpectedOutput(Receipt, "", None, refusal="".join(REFUSAL)),
        wires=tuple(
            wire for wire in WIRES if wire not in ("gemini", "gemini-json", "vertex", "bedrock")
        ),
    ),
)

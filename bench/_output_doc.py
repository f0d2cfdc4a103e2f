"""The structured output the output benchmark streams: a catalogue of products as JSON.

``document(deltas)`` is about ``10 * deltas`` characters of JSON (20,000 deltas: ~200 KB) for
``Catalogue``: nested objects, arrays, long strings with ``\\n`` and ``\\"`` escapes, numbers of
every shape, and non-ASCII text, half of it as ``\\uXXXX`` escapes (emoji as surrogate pairs),
half as raw characters, as models send both. ``split(text, deltas)`` cuts it into ``deltas``
pieces of the same size, anywhere: inside strings, escapes, surrogate pairs, numbers, literals.
``openai_chat(deltas)`` is the OpenAI Chat SSE body carrying those pieces as content deltas.

Pure functions of their argument (a seeded generator), so the server (a child process) and the
benchmark build the very same text.
"""

from __future__ import annotations

import json
import random

from _bodies import WORDS, _chat, _chat_tail

CHARS_PER_DELTA = 10
_EXTRA = ['say "hi"', "line\nbreak", "tab\there", "back\\slash", "∑ ≤ ∞", "😀🎉", "Ελληνικά"]


def _sentence(rng: random.Random, words: int) -> str:
    return "".join(rng.choice(WORDS + _EXTRA) for _ in range(words)).strip()


def _product(rng: random.Random, index: int) -> dict[str, object]:
    return {
        "id": index,
        "name": _sentence(rng, 4),
        "description": _sentence(rng, 60),
        "price": round(rng.uniform(0.5, 5000), 2),
        "rating": -rng.random() * 1e-3 if index % 7 == 0 else rng.randint(1, 5) * 1.5e2,
        "in_stock": rng.random() < 0.5,
        "discontinued": None,
        "warehouse": {
            "city": rng.choice(["Zürich", "東京", "São Paulo", "Kraków", "Reykjavík"]),
            "coordinates": [round(rng.uniform(-90, 90), 5), round(rng.uniform(-180, 180), 5)],
            "dock": rng.randint(1, 40),
        },
        "tags": [_sentence(rng, 1) for _ in range(rng.randint(1, 5))],
        "reviews": [
            {
                "author": _sentence(rng, 2),
                "stars": rng.randint(1, 5),
                "text": _sentence(rng, rng.randint(5, 30)),
                "verified": rng.random() < 0.8,
            }
            for _ in range(rng.randint(0, 3))
        ],
        "attributes": [
            {"name": f"k{j}", "value": _sentence(rng, 2)} for j in range(rng.randint(0, 3))
        ],
    }


def document(deltas: int) -> str:
    """About ``CHARS_PER_DELTA * deltas`` characters of ``Catalogue`` JSON."""
    rng = random.Random(16)
    target = CHARS_PER_DELTA * deltas
    head = '{"title":' + json.dumps(_sentence(rng, 6)) + ',"summary":'
    head += json.dumps(_sentence(rng, 40), ensure_ascii=False) + ',"products":['
    products: list[str] = []
    size = len(head)
    while size < target:
        product = _product(rng, len(products))
        text = json.dumps(product, ensure_ascii=len(products) % 2 == 0)
        products.append(text)
        size += len(text) + 1
    return head + ",\n  ".join(products) + '],"total":' + str(len(products)) + "}"


def split(text: str, deltas: int) -> list[str]:
    """``text`` in ``deltas`` pieces of (nearly) the same length."""
    size = len(text)
    return [text[i * size // deltas : (i + 1) * size // deltas] for i in range(deltas)]


def openai_chat(deltas: int) -> bytes:
    parts = [_chat({"role": "assistant", "content": "", "refusal": None})]
    parts += [_chat({"content": piece}) for piece in split(document(deltas), deltas)]
    parts += _chat_tail("stop", deltas)
    return "".join(parts).encode()

"""The Responses API's error codes: what its in-stream errors and HTTP errors mean.

https://platform.openai.com/docs/api-reference/responses/object (``error.code`` of a failed
response) and https://platform.openai.com/docs/api-reference/responses-streaming/error (the
``error`` event). Its HTTP errors and ``error`` events use OpenAI's types, as Chat Completions
does; a failed response adds the codes below.
"""

from __future__ import annotations

from rillet.protocol import ErrorCode
from rillet.providers.openai_chat._errors import ERROR_TYPES as OPENAI_ERROR_TYPES

__all__ = ["ERROR_TYPES"]

_BAD_IMAGE = (
    "invalid_image",
    "invalid_image_format",
    "invalid_base64_image",
    "invalid_image_url",
    "invalid_image_mode",
    "image_too_large",
    "image_too_small",
    "image_parse_error",
    "image_file_too_large",
    "image_file_not_found",
    "unsupported_image_media_type",
    "empty_image_file",
    "failed_to_download_image",
)

ERROR_TYPES = OPENAI_ERROR_TYPES.extended(
    {
        ErrorCode.invalid_request: ("invalid_prompt", "context_length_exceeded", *_BAD_IMAGE),
        ErrorCode.content_filter: ("image_content_policy_violation",),
        ErrorCode.server: ("vector_store_timeout", "internal_error"),
        ErrorCode.overloaded: ("server_is_overloaded",),
    }
)

"""Bounds on what a request may send: a body larger than the limit is refused with 413 before
it is read into memory, whether it says its length or streams."""

from __future__ import annotations

import os

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 1 << 20


def max_body_bytes() -> int:
    """HOMEFLOW_MAX_BODY_BYTES, else 1 MiB: far more than any form or Encounter needs."""
    text = os.environ.get("HOMEFLOW_MAX_BODY_BYTES", "")
    return int(text) if text.isdigit() else DEFAULT_MAX_BODY_BYTES


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = PlainTextResponse(
            f"The request body is larger than {self.limit:,} bytes.", status_code=413
        )
        await response(scope, receive, send)

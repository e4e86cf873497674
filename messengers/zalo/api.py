"""A small client of the Zalo Bot API: `POST {base}/bot{token}/{method}` with a JSON body.

Errors come back as `{"ok": false, "error_code", "description"}`; they are raised as `ZaloError`
with that code so callers map them (403 blocked, 429 too fast, 5xx transient, 408 empty poll).
"""

from __future__ import annotations

from typing import Any

import aiohttp


class ZaloError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


class ZaloApi:
    def __init__(self, *, token: str, base: str, timeout: float = 20.0) -> None:
        self._url = f"{base.rstrip('/')}/bot{token}/"
        self._timeout = timeout
        self._http: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:  # never show the token
        return "ZaloApi(...)"

    async def call(self, method: str, *, http_timeout: float | None = None, **params: Any) -> Any:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        body = {k: v for k, v in params.items() if v is not None}
        try:
            async with self._http.post(
                self._url + method,
                json=body,
                timeout=aiohttp.ClientTimeout(total=http_timeout or self._timeout),
            ) as resp:
                try:
                    data = await resp.json(content_type=None)
                except ValueError:
                    raise ZaloError(resp.status if resp.status >= 400 else 502, "not JSON") from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise ZaloError(599, f"network: {type(exc).__name__}") from None  # the URL holds the token
        if not isinstance(data, dict) or not data.get("ok"):
            code = int(data.get("error_code") or resp.status) if isinstance(data, dict) else resp.status
            description = str(data.get("description") or "") if isinstance(data, dict) else ""
            raise ZaloError(code, description)
        return data.get("result")

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

"""SMS through a Kannel-compatible `sendsms` URL (GET, UTF-8, coding 0 or 2, DLR callback)."""

from __future__ import annotations

import httpx

from services.notify.ports import DeliveryFailed, DeliveryUncertain
from services.notify.smstext import SmsText

__all__ = ["KannelGateway"]

_DLR_ALL = 31  # delivered, undelivered, buffered, SMSC accepted, SMSC rejected
# The request never reached the gateway whole, so it cannot have acted on it.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
)


class KannelGateway:
    """One HTTP client for the service's lifetime."""

    def __init__(
        self, *, url: str, username: str, password: str, sender: str, timeout: float
    ) -> None:
        self._url = url
        self._auth = {"username": username, "password": password}
        self._sender = sender
        self._client = httpx.AsyncClient(timeout=timeout)

    async def send(self, *, to: str, sms: SmsText, dlr_url: str) -> None:
        """GET sendsms; 2xx means accepted (Kannel answers 202 "Sent" / "Accepted")."""
        params = {
            **self._auth,
            "from": self._sender,
            "to": to,
            "text": sms.text,
            "charset": "UTF-8",
            "coding": str(sms.coding),
            "dlr-mask": str(_DLR_ALL),
            "dlr-url": dlr_url,
        }
        try:
            response = await self._client.get(self._url, params=params)
        except _NOT_SENT as exc:
            raise DeliveryFailed(f"sms gateway: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:  # sent, but no answer: it may have gone out
            raise DeliveryUncertain(f"sms gateway: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"sms gateway: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise DeliveryFailed(f"sms gateway: HTTP {response.status_code}")

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

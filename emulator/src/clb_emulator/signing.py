"""Request authentication: ACS3-HMAC-SHA256 (SDK default) and the legacy RPC HMAC-SHA1 signature.

Both algorithms are rebuilt exactly as `alibabacloud-tea-openapi` computes them (see the SLB
reference, sections 2.3 and 2.4), so a request signed by the official SDK verifies unchanged.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

from .errors import ApiError

API_VERSION = "2014-05-15"
CLOCK_SKEW_SECONDS = 15 * 60
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True)
class Account:
    account_id: str
    access_key_id: str
    access_key_secret: str


@dataclass(frozen=True)
class AuthenticatedRequest:
    account: Account
    action: str
    signature_method: str  # "ACS3-HMAC-SHA256" or "HMAC-SHA1"


def _enc(value: str) -> str:
    return quote(value, safe="~")


def _parse_timestamp(value: str) -> float:
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        raise ApiError("InvalidTimeStamp.Format",
                       f"Specified time stamp or date value is not well formatted: {value!r}.") from None
    return parsed.timestamp()


class NonceCache:
    """Nonces seen within the accepted clock window; a reused one is a replay."""

    def __init__(self):
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def use(self, nonce: str, now: float) -> None:
        with self._lock:
            if len(self._seen) > 10000:
                horizon = now - 2 * CLOCK_SKEW_SECONDS
                self._seen = {n: t for n, t in self._seen.items() if t >= horizon}
            if nonce in self._seen:
                raise ApiError("SignatureNonceUsed")
            self._seen[nonce] = now

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


class Authenticator:
    def __init__(self, accounts: list[Account]):
        self._by_key = {a.access_key_id: a for a in accounts}
        self.nonces = NonceCache()

    @property
    def access_key_ids(self) -> list[str]:
        return list(self._by_key)

    def _account(self, access_key_id: str | None) -> Account:
        if not access_key_id:
            raise ApiError("IncompleteSignature", "The request signature does not conform to Aliyun standards: "
                           "no AccessKeyId.")
        account = self._by_key.get(access_key_id)
        if account is None:
            raise ApiError("InvalidAccessKeyId.NotFound")
        return account

    def _check_fresh(self, timestamp: str | None, nonce: str | None, now: float) -> None:
        if not timestamp:
            raise ApiError("MissingParameter", 'The input parameter "Timestamp" that is mandatory for '
                           "processing this request is not supplied.")
        if abs(_parse_timestamp(timestamp) - now) > CLOCK_SKEW_SECONDS:
            raise ApiError("InvalidTimeStamp.Expired")
        if not nonce:
            raise ApiError("MissingParameter", 'The input parameter "SignatureNonce" that is mandatory for '
                           "processing this request is not supplied.")
        self.nonces.use(nonce, now)

    def authenticate(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
                     body: bytes, now: float | None = None) -> AuthenticatedRequest:
        """Verify the request's signature; `headers` keys are lower-case. Raises ApiError."""
        now = time.time() if now is None else now
        authorization = headers.get("authorization", "")
        if authorization.startswith("ACS3-HMAC-SHA256"):
            return self._verify_v3(method, path, query, headers, body, authorization, now)
        if "Signature" in query:
            return self._verify_rpc(method, query, now)
        raise ApiError("IncompleteSignature", "The request signature does not conform to Aliyun standards: "
                       "neither an ACS3-HMAC-SHA256 Authorization header nor a Signature parameter.")

    def _verify_v3(self, method, path, query, headers, body, authorization, now):
        fields = {}
        for part in authorization[len("ACS3-HMAC-SHA256"):].split(","):
            name, _, value = part.strip().partition("=")
            fields[name] = value
        if not all(fields.get(k) for k in ("Credential", "SignedHeaders", "Signature")):
            raise ApiError("IncompleteSignature", "The Authorization header lacks Credential, SignedHeaders "
                           "or Signature.")
        account = self._account(fields["Credential"])
        signed_names = fields["SignedHeaders"].split(";")
        for required in ("host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
                         "x-acs-content-sha256"):
            if required not in signed_names:
                raise ApiError("IncompleteSignature", f"The header {required} must be signed.")
        if headers.get("x-acs-version") != API_VERSION:
            raise ApiError("InvalidVersion", f"Specified parameter Version is not valid: "
                           f"{headers.get('x-acs-version')!r} (this API is {API_VERSION}).")
        if headers.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest():
            raise ApiError("SignatureDoesNotMatch", "The x-acs-content-sha256 header does not match the body.")
        canonical_query = "&".join(f"{_enc(k)}={_enc(query[k])}" for k in sorted(query))
        canonical_headers = "".join(f"{n}:{headers.get(n, '').strip()}\n" for n in sorted(signed_names))
        canonical_request = "\n".join([method, path or "/", canonical_query, canonical_headers,
                                       ";".join(sorted(signed_names)), headers["x-acs-content-sha256"]])
        string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode()).hexdigest()
        expected = hmac.new(account.access_key_secret.encode(), string_to_sign.encode(),
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields["Signature"].lower()):
            raise ApiError("SignatureDoesNotMatch")
        self._check_fresh(headers.get("x-acs-date"), headers.get("x-acs-signature-nonce"), now)
        return AuthenticatedRequest(account, headers.get("x-acs-action", ""), "ACS3-HMAC-SHA256")

    def _verify_rpc(self, method, query, now):
        account = self._account(query.get("AccessKeyId"))
        if query.get("SignatureMethod") != "HMAC-SHA1":
            raise ApiError("IncompleteSignature", f"SignatureMethod {query.get('SignatureMethod')!r} is not "
                           "supported; use HMAC-SHA1.")
        if query.get("Version") != API_VERSION:
            raise ApiError("InvalidVersion", f"Specified parameter Version is not valid: "
                           f"{query.get('Version')!r} (this API is {API_VERSION}).")
        params = {k: v for k, v in query.items() if k != "Signature"}
        canonical = "&".join(f"{_enc(k)}={_enc(params[k])}" for k in sorted(params))
        string_to_sign = f"{method}&{_enc('/')}&{_enc(canonical)}"
        digest = hmac.new((account.access_key_secret + "&").encode(), string_to_sign.encode(), hashlib.sha1)
        expected = base64.b64encode(digest.digest()).decode()
        if not hmac.compare_digest(expected, query.get("Signature", "")):
            raise ApiError("SignatureDoesNotMatch")
        self._check_fresh(query.get("Timestamp"), query.get("SignatureNonce"), now)
        return AuthenticatedRequest(account, query.get("Action", ""), "HMAC-SHA1")

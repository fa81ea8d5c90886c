"""Request authentication: ACS3-HMAC-SHA256 (SDK default) and the legacy RPC HMAC-SHA1 signature.

Both algorithms are rebuilt exactly as `alibabacloud-tea-openapi` computes them (see the SLB
reference, sections 2.3 and 2.4), so a request signed by the official SDK verifies unchanged.

STS credentials (an `STS.` access key ID, its secret and a security token that expires) are checked
as well: a request signed with an STS key must carry its token (`x-acs-security-token` header for
ACS3, `SecurityToken` parameter for HMAC-SHA1), and a permanent key must carry none.
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
STS_KEY_PREFIX = "STS."
SECURITY_TOKEN_HEADER = "x-acs-security-token"
DEFAULT_STS_LIFETIME_SECONDS = 3600
# The real gateway answers a V1 signature mismatch with its own string to sign appended
# (NewFuture/DDNS#57, AxiosLeo/aliyun-sdk#2); that string quotes every parameter, keys included.
V1_MISMATCH_MESSAGE = "Specified signature is not matched with our calculation. server string to sign is:"


@dataclass(frozen=True)
class Account:
    account_id: str
    access_key_id: str
    access_key_secret: str


@dataclass(frozen=True)
class StsCredential:
    """Temporary credentials as AssumeRole hands them out; they act in the account `account_id`."""
    access_key_id: str
    access_key_secret: str
    security_token: str
    expiration: float  # seconds since the epoch
    account_id: str

    def as_account(self) -> Account:
        return Account(self.account_id, self.access_key_id, self.access_key_secret)

    def public(self) -> dict:
        """What hooks and the ready line may show: no secret, no token."""
        return {"access_key_id": self.access_key_id, "account_id": self.account_id,
                "expiration": _iso8601(self.expiration)}


@dataclass(frozen=True)
class AuthenticatedRequest:
    account: Account
    action: str
    signature_method: str  # "ACS3-HMAC-SHA256" or "HMAC-SHA1"


def _enc(value: str) -> str:
    return quote(value, safe="~")


def _iso8601(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sts_credential_from_dict(data: dict, accounts: list[Account], now: float | None = None) -> StsCredential:
    """An StsCredential from `{"access_key_id": "STS.…", "access_key_secret", "security_token",
    "expiration": "YYYY-MM-DDTHH:MM:SSZ" | "expires_in_seconds": n, "account_id" | "account_access_key_id"}`.

    Without an account the credential acts in the first account's (a role of that account).
    Raises ValueError naming the field.
    """
    if not isinstance(data, dict):
        raise ValueError("an STS credential must be an object")
    unknown = set(data) - {"access_key_id", "access_key_secret", "security_token", "expiration",
                           "expires_in_seconds", "account_id", "account_access_key_id"}
    if unknown:
        raise ValueError(f"unknown STS credential fields: {', '.join(sorted(unknown))}")
    key_id = data.get("access_key_id")
    if not isinstance(key_id, str) or not key_id.startswith(STS_KEY_PREFIX) or len(key_id) <= len(STS_KEY_PREFIX):
        raise ValueError(f"access_key_id must start with {STS_KEY_PREFIX!r} (as STS key IDs do)")
    for name in ("access_key_secret", "security_token"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise ValueError(f"{name} is required (a non-empty string)")
    now = time.time() if now is None else now
    if data.get("expiration") is not None and data.get("expires_in_seconds") is not None:
        raise ValueError("give expiration or expires_in_seconds, not both")
    if data.get("expiration") is not None:
        try:
            expiration = datetime.strptime(str(data["expiration"]), "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise ValueError("expiration must look like 2026-01-01T12:00:00Z (UTC, as STS returns it)") from None
    else:
        seconds = data.get("expires_in_seconds", DEFAULT_STS_LIFETIME_SECONDS)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise ValueError("expires_in_seconds must be a number (negative for an already expired token)")
        expiration = now + seconds
    by_key = {a.access_key_id: a for a in accounts}
    if data.get("account_access_key_id") is not None:
        owner = by_key.get(data["account_access_key_id"])
        if owner is None:
            raise ValueError("account_access_key_id names no permanent access key of this emulator")
        account_id = owner.account_id
    elif data.get("account_id") is not None:
        account_id = str(data["account_id"])
    elif accounts:
        account_id = accounts[0].account_id
    else:
        raise ValueError("account_id is required when the emulator has no permanent access key")
    return StsCredential(key_id, data["access_key_secret"], data["security_token"], expiration, account_id)


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
    def __init__(self, accounts: list[Account], sts_credentials=()):
        for account in accounts:
            if account.access_key_id.startswith(STS_KEY_PREFIX):
                raise ValueError(f"access key {account.access_key_id!r}: IDs starting with {STS_KEY_PREFIX!r} are "
                                 "STS keys; register them as STS credentials (with a token)")
        self._by_key = {a.access_key_id: a for a in accounts}
        self._sts: dict[str, StsCredential] = {}
        self._sts_lock = threading.Lock()
        self.nonces = NonceCache()
        for credential in sts_credentials:
            self.add_sts_credential(credential)

    @property
    def accounts(self) -> list[Account]:
        return list(self._by_key.values())

    @property
    def access_key_ids(self) -> list[str]:
        return list(self._by_key)

    def add_sts_credential(self, credential: StsCredential) -> StsCredential:
        """Register (or replace) temporary credentials; they survive /_emulator/reset, like accounts."""
        with self._sts_lock:
            self._sts[credential.access_key_id] = credential
        return credential

    def sts_credentials(self) -> list[dict]:
        with self._sts_lock:
            return [c.public() for c in self._sts.values()]

    def _lookup(self, access_key_id: str | None) -> tuple[Account, StsCredential | None]:
        if not access_key_id:
            raise ApiError("IncompleteSignature", "The request signature does not conform to Aliyun standards: "
                           "no AccessKeyId.")
        account = self._by_key.get(access_key_id)
        if account is not None:
            return account, None
        with self._sts_lock:
            credential = self._sts.get(access_key_id)
        if credential is None:
            raise ApiError("InvalidAccessKeyId.NotFound")
        return credential.as_account(), credential

    def _check_security_token(self, credential: StsCredential | None, token: str | None, now: float) -> None:
        """Documented codes; which one answers which case is our choice (the real rules are unpublished)."""
        if credential is None:
            if token:  # a token with a permanent key: refused (the stricter choice)
                raise ApiError("InvalidSecurityToken.MismatchWithAccessKey")
            return
        if not token:
            raise ApiError("MissingSecurityToken")
        if not hmac.compare_digest(token.encode(), credential.security_token.encode()):
            with self._sts_lock:
                issued = any(hmac.compare_digest(token.encode(), other.security_token.encode())
                             for other in self._sts.values())
            # A token issued with other STS keys does not belong to this key; any other text is no token.
            raise ApiError("InvalidSecurityToken.MismatchWithAccessKey" if issued else "InvalidSecurityToken.Malformed")
        if now >= credential.expiration:
            raise ApiError("InvalidSecurityToken.Expired")

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
                     body: bytes, now: float | None = None, url_query: dict[str, str] | None = None
                     ) -> AuthenticatedRequest:
        """Verify the request's signature; `headers` keys are lower-case. Raises ApiError.

        `query` holds every parameter, form-body ones included, as V1 signs them; ACS3 signs the URL's
        query (`url_query`, when the body held parameters) and covers the body by its hash.
        """
        now = time.time() if now is None else now
        authorization = headers.get("authorization", "")
        if authorization.startswith("ACS3-HMAC-SHA256"):
            signed_query = query if url_query is None else url_query
            return self._verify_v3(method, path, signed_query, headers, body, authorization, now)
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
        account, credential = self._lookup(fields["Credential"])
        signed_names = fields["SignedHeaders"].split(";")
        required_headers = ["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
                            "x-acs-content-sha256"]
        if SECURITY_TOKEN_HEADER in headers:  # every x-acs-* header present must be signed (V3 docs)
            required_headers.append(SECURITY_TOKEN_HEADER)
        for required in required_headers:
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
            # What the V3 gateway appends here is unverified; its string to sign holds no parameter anyway.
            raise ApiError("SignatureDoesNotMatch")
        self._check_fresh(headers.get("x-acs-date"), headers.get("x-acs-signature-nonce"), now)
        self._check_security_token(credential, headers.get(SECURITY_TOKEN_HEADER), now)
        return AuthenticatedRequest(account, headers.get("x-acs-action", ""), "ACS3-HMAC-SHA256")

    def _verify_rpc(self, method, query, now):
        account, credential = self._lookup(query.get("AccessKeyId"))
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
            raise ApiError("SignatureDoesNotMatch", V1_MISMATCH_MESSAGE + string_to_sign)
        self._check_fresh(query.get("Timestamp"), query.get("SignatureNonce"), now)
        self._check_security_token(credential, query.get("SecurityToken"), now)
        return AuthenticatedRequest(account, query.get("Action", ""), "HMAC-SHA1")

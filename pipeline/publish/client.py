"""The review site's REST client: retries what is safe to retry, streams uploads, explains every refusal."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

import requests

from pipeline.errors import FacereplaceError

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})


class SiteError(FacereplaceError):
    """The site refused a request, or could not be reached; the message says what to do."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


_TOKEN_HINT = ("check --token (an admin prints one with `manage.py review_user NAME --role pipeline --project P "
               "--token`)")
_HINTS = {
    401: f"the site does not accept this token: {_TOKEN_HINT}",
    403: f"the token is wrong, or its user lacks the role or project for this: {_TOKEN_HINT}",
    413: "the file is over the site's upload limit (FACEREPLACE_MAX_UPLOAD_BYTES on the site)",
}


@dataclass
class MultipartStream:
    """A multipart/form-data body read in chunks, with its length known up front (so no chunked encoding and
    no copy of a clip in memory). `files` maps form field names to files."""

    fields: dict[str, str]
    files: dict[str, Path]
    boundary: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        text = "".join(f'--{self.boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                       for k, v in self.fields.items())
        self._parts: list[bytes | Path] = []
        for name, path in self.files.items():
            text += (f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n')
            self._parts += [text.encode(), path]
            text = "\r\n"
        self._parts.append(f"{text}--{self.boundary}--\r\n".encode())
        self._length = sum(p.stat().st_size if isinstance(p, Path) else len(p) for p in self._parts)
        self._index = 0
        self._offset = 0
        self._file: BinaryIO | None = None

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        size = 1 << 20 if size is None or size < 0 else size
        while self._index < len(self._parts):
            part = self._parts[self._index]
            if isinstance(part, Path):
                if self._file is None:
                    self._file = part.open("rb")
                chunk = self._file.read(size)
                if chunk:
                    return chunk
                self._file.close()
                self._file = None
            else:
                chunk = part[self._offset:self._offset + size]
                self._offset += len(chunk)
                if chunk:
                    return chunk
            self._index, self._offset = self._index + 1, 0
        return b""


@dataclass
class SiteClient:
    """Talks to one review site with one token."""

    base_url: str
    token: str
    retries: int = 5
    backoff: float = 0.5
    timeout: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/") + "/"
        self.session.headers.update({"Authorization": f"Token {self.token}", "Accept": "application/json"})

    def url(self, path: str) -> str:
        return self.base_url + "api/" + path.lstrip("/")

    def request(self, method: str, path: str, *, json_body: Any = None, body: Callable[[], MultipartStream] | None
                = None, params: dict | None = None, headers: dict | None = None,
                retry: bool = True) -> requests.Response:
        """Send a request; connection failures and 429/502/503/504 are retried with backoff when `retry`
        (GETs, and writes made safe by an Idempotency-Key). Returns the response of any other status."""
        attempts = self.retries + 1 if retry else 1
        attempt = 0
        while True:
            attempt += 1
            extra = dict(headers or {})
            data = None
            if body is not None:
                data = body()
                extra["Content-Type"] = data.content_type
            try:
                response = self.session.request(method, self.url(path), json=json_body, data=data, params=params,
                                                headers=extra, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == attempts:
                    raise SiteError(f"cannot reach the review site at {self.base_url} after {attempts} attempt(s) "
                                    f"({type(exc).__name__}); check --site and that the site is running") from None
                self._wait(attempt, None)
                continue
            if response.status_code in RETRY_STATUSES and attempt < attempts:
                self._wait(attempt, response.headers.get("Retry-After"))
                continue
            return response

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = float(retry_after) if retry_after and retry_after.isdigit() else self.backoff * 2 ** (attempt - 1)
        logger.info("site busy or unreachable; retrying in %.1f s (attempt %d)", delay, attempt + 1)
        self.sleep(min(delay, 30.0))

    def check(self, response: requests.Response, what: str, *, ok: tuple[int, ...] = (200, 201)) -> Any:
        """The response's JSON if its status is one of `ok`, else SiteError naming `what` and the reason."""
        if response.status_code in ok:
            return response.json()
        try:
            detail = response.json().get("detail") or response.text
        except ValueError:
            detail = response.text[:300]
        hint = _HINTS.get(response.status_code)
        message = f"{what}: the site answered {response.status_code}: {detail}"
        raise SiteError(message + (f" ({hint})" if hint else ""), status=response.status_code)

    # ---- what `facereplace publish` does ----

    def shot_find_or_create(self, *, project: str, sequence: str, code: str, first_frame: int, last_frame: int,
                            fps: Fraction) -> dict[str, Any]:
        """The site's shot for (project, sequence, code), created when new; its frames and rate must match."""
        shot = self._shot_find(project=project, sequence=sequence, code=code)
        if shot is None:
            response = self.request("POST", "shots/", retry=False, json_body={
                "project": project, "sequence": sequence, "code": code, "frame_start": first_frame,
                "frame_end": last_frame, "fps_num": fps.numerator, "fps_den": fps.denominator})
            if response.status_code == 409:  # it exists: a retried create landed, or a race; look again
                shot = self._shot_find(project=project, sequence=sequence, code=code)
            if shot is None:
                shot = self.check(response, f"creating shot {project}/{sequence}/{code}")
        site = (shot["frame_start"], shot["frame_end"], Fraction(shot["fps_num"], shot["fps_den"]))
        if site != (first_frame, last_frame, fps):
            raise SiteError(f"shot {project}/{sequence}/{code} on the site is frames {site[0]}-{site[1]} at "
                            f"{site[2]} fps, but here {first_frame}-{last_frame} at {fps} fps; fix shot.toml or "
                            "the site's shot before publishing")
        return shot

    def _shot_find(self, *, project: str, sequence: str, code: str) -> dict[str, Any] | None:
        found = self.check(self.request("GET", "shots/", params={"project": project, "sequence": sequence,
                                                                  "code": code}), f"looking up shot {code}")
        return found["results"][0] if found["results"] else None

    def variant_publish(self, *, shot_id: int, label: str, kind: str, files: dict[str, Path],
                        fields: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Upload one variant (`files`: "clip", and maybe "thumbnail" and "filmstrip"); returns (variant,
        created). Safe to call again: created is then False."""
        form = {"label": label, "kind": kind,
                **{k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}}
        key = idempotency_key(shot_id, form, files)
        response = self.request("POST", f"shots/{shot_id}/variants/", headers={"Idempotency-Key": key},
                                body=lambda: MultipartStream(form, files))
        variant = self.check(response, f"publishing variant {label!r} ({files['clip']})")
        return variant, response.status_code == 201

    def plate_publish(self, *, shot_id: int, clip: Path) -> dict[str, Any]:
        response = self.request("PUT", f"shots/{shot_id}/plate/", body=lambda: MultipartStream({}, {"clip": clip}))
        return self.check(response, f"publishing the plate clip {clip}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def idempotency_key(shot_id: int, form: dict[str, str], files: dict[str, Path]) -> str:
    """The same upload always gets the same key: a rerun is recognised by the site, a changed file is not."""
    text = json.dumps({"shot": shot_id, "form": form, "files": {k: file_sha256(p) for k, p in files.items()}},
                      sort_keys=True)
    return "fr-" + hashlib.sha256(text.encode()).hexdigest()[:40]


def token_from(value: str | None) -> str:
    """--token, else FACEREPLACE_TOKEN from the environment (so the token stays out of shell history)."""
    token = value or os.environ.get("FACEREPLACE_TOKEN", "")
    if not token:
        raise SiteError("no API token: pass --token or set FACEREPLACE_TOKEN")
    return token

"""The simulated upload API's state: pending and stored uploads, presigned POST policies.

``POST /upload-api`` creates a pending upload and a presigned POST (fields ``key``,
``x-amz-meta-*``, ``policy``, ``x-amz-signature``) for the storage origin, which checks the policy
like S3: the signature, the expiry, every field's condition, no extra fields, the content-length
range. Stored objects live in a temporary folder on disk, removed with the store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The provider's rule for upload names: letters and digits with _ or -, one dot, a known extension.
ALLOWED_EXTENSIONS = tuple(
    [
        "json",
        "csv",
        "xml",
        "txt",
        "yml",
        "yaml",
        "html",
        "md",
        "js",
        "css",
        "xls",
        "xlsx",
        "jpg",
        "jpeg",
        "png",
        "gif",
        "webp",
        "sql",
        "log",
    ]
)
FILENAME_RE = re.compile(r"[A-Za-z0-9_-]+\.(?:" + "|".join(ALLOWED_EXTENSIONS) + r")", re.ASCII)
BUCKET = "apidatatools-sim-uploads"
# Form fields S3 never checks against the policy.
UNCHECKED_FIELDS = frozenset({"policy", "x-amz-signature", "file"})


@dataclass
class UploadLimits:
    """Plan limits (the provider names them without numbers) and the policy's lifetime."""

    ttl: float = 300.0  # a pending upload (and its policy) expires this long after creation
    max_size: int = 1024 * 1024 * 1024
    min_size: int = 1
    max_pending: int = 1000


@dataclass
class SimUpload:
    upload_id: str
    owner: str
    user_id: str
    filename: str
    key: str
    created: float
    expires: float
    status: str = "pending"  # pending | completed | failed
    size: int | None = None
    path: Path | None = None


@dataclass(frozen=True, slots=True)
class StorageRefusal:
    """An S3-style refusal: HTTP status, ``<Code>``, ``<Message>`` and extra XML elements."""

    status: int
    code: str
    message: str
    extra: tuple[tuple[str, str], ...] = ()


def user_id_of(key: str) -> str:
    return "usr_" + hashlib.sha256(key.encode()).hexdigest()[:12]


class UploadStore:
    """Thread-safe: the storage origin and the API origin use it from the server thread, tests
    from theirs."""

    def __init__(self, clock: Callable[[], float] = time.time, *, seed: int = 0) -> None:
        self.clock = clock
        self.limits = UploadLimits()
        self._secret = hashlib.sha256(f"sim-storage-secret:{seed}".encode()).digest()
        self._lock = threading.RLock()
        self._uploads: dict[str, SimUpload] = {}
        self._count = 0
        self._seed = seed
        self._dir: Path | None = None

    @property
    def folder(self) -> Path:
        """Where stored objects are kept (created on first use, removed with the store)."""
        with self._lock:
            if self._dir is None:
                self._dir = Path(tempfile.mkdtemp(prefix="jobmonitor-sim-storage-"))
                weakref.finalize(self, shutil.rmtree, self._dir, True)
            return self._dir

    def create(self, owner: str, filename: str) -> SimUpload:
        """A new pending upload; the caller checked the name with ``FILENAME_RE``."""
        with self._lock:
            now = self.clock()
            self._count += 1
            digest = hashlib.sha256(f"{self._seed}:{self._count}:{owner}".encode()).hexdigest()
            upload_id = f"upl_{digest[:16]}"
            user = user_id_of(owner)
            upload = SimUpload(
                upload_id=upload_id,
                owner=owner,
                user_id=user,
                filename=filename,
                key=f"{user}/{upload_id}/{filename}",
                created=now,
                expires=now + self.limits.ttl,
            )
            self._uploads[upload_id] = upload
            return upload

    def pending_count(self, owner: str) -> int:
        with self._lock:
            now = self.clock()
            return sum(
                1
                for u in self._uploads.values()
                if u.owner == owner and self._status(u, now) == "pending"
            )

    def presign(self, upload: SimUpload) -> dict[str, str]:
        """The form fields of a presigned POST for ``upload``."""
        fields = {
            "key": upload.key,
            "x-amz-meta-user-id": upload.user_id,
            "x-amz-meta-upload-id": upload.upload_id,
            "x-amz-meta-original-filename": upload.filename,
        }
        expiration = datetime.fromtimestamp(upload.expires, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        conditions: list[Any] = [{"bucket": BUCKET}, *({k: v} for k, v in fields.items())]
        conditions.append(["content-length-range", self.limits.min_size, self.limits.max_size])
        policy = base64.b64encode(
            json.dumps({"expiration": expiration, "conditions": conditions}).encode()
        ).decode()
        fields["policy"] = policy
        fields["x-amz-signature"] = self._sign(policy)
        return fields

    def _sign(self, policy: str) -> str:
        return hmac.new(self._secret, policy.encode(), hashlib.sha256).hexdigest()

    def check_policy(
        self, fields: Mapping[str, str]
    ) -> tuple[SimUpload, int, int] | StorageRefusal:
        """Check a POST's fields as S3 does when the file part starts: (upload, min, max)."""
        policy = fields.get("policy")
        signature = fields.get("x-amz-signature")
        if "key" not in fields:
            return StorageRefusal(
                400, "InvalidArgument", "Bucket POST must contain a field named 'key'."
            )
        if policy is None or signature is None:
            return StorageRefusal(
                403, "AccessDenied", "Bucket POST must contain a policy and a signature."
            )
        if not hmac.compare_digest(self._sign(policy), signature):
            return StorageRefusal(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        try:
            document = json.loads(base64.b64decode(policy, validate=True))
            expiration = datetime.strptime(document["expiration"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=UTC
            )
            conditions = list(document["conditions"])
        except (ValueError, KeyError, TypeError):
            return StorageRefusal(400, "InvalidPolicyDocument", "Invalid Policy: malformed.")
        if self.clock() >= expiration.timestamp():
            return StorageRefusal(
                403, "AccessDenied", "Invalid according to Policy: Policy expired."
            )
        low, high, checked = 0, 5 * 1024**3, set(UNCHECKED_FIELDS)
        for condition in conditions:
            if isinstance(condition, list) and condition[:1] == ["content-length-range"]:
                low, high = int(condition[1]), int(condition[2])
                continue
            if not isinstance(condition, dict):
                continue
            for name, value in condition.items():
                checked.add(name)
                if name != "bucket" and fields.get(name) != value:
                    return StorageRefusal(
                        403,
                        "AccessDenied",
                        "Invalid according to Policy: Policy Condition failed: "
                        f'["eq", "${name}", "{value}"]',
                    )
        extra = sorted(set(fields) - checked)
        if extra:
            return StorageRefusal(
                403,
                "AccessDenied",
                f"Invalid according to Policy: Extra input fields: {', '.join(extra)}",
            )
        with self._lock:
            upload = self._uploads.get(fields.get("x-amz-meta-upload-id", ""))
            if upload is None or upload.key != fields["key"]:
                return StorageRefusal(403, "AccessDenied", "Access Denied")
            return upload, low, high

    def object_path(self, upload: SimUpload) -> Path:
        return self.folder / upload.upload_id

    def complete(self, upload: SimUpload, size: int, path: Path) -> None:
        """A file was stored for ``upload`` at ``path`` (a later POST replaces it, like S3)."""
        with self._lock:
            target = self.object_path(upload)
            os.replace(path, target)
            if upload.upload_id not in self._uploads:  # deleted meanwhile: drop the object
                target.unlink(missing_ok=True)
                return
            upload.status, upload.size, upload.path = "completed", size, target

    def _status(self, upload: SimUpload, now: float) -> str:
        if upload.status == "pending" and now >= upload.expires:
            return "failed"  # a pending upload that expired never completes
        return upload.status

    def listing(self, owner: str, status: str | None = None) -> list[dict[str, Any]]:
        """``GET /list-uploads-api``'s items, oldest first."""
        with self._lock:
            now = self.clock()
            items = []
            for u in self._uploads.values():
                state = self._status(u, now)
                if u.owner != owner or (status is not None and state != status):
                    continue
                items.append(
                    {
                        "upload_id": u.upload_id,
                        "status": state,
                        "filename": u.filename,
                        "s3_key": u.key,
                        "file_size": u.size,
                        "created_at": int(u.created),
                        "expires_at": int(u.expires),
                    }
                )
            return items

    def delete(self, owner: str, upload_id: str) -> bool:
        """Remove an upload of ``owner`` and its object; False when there is none."""
        with self._lock:
            upload = self._uploads.get(upload_id)
            if upload is None or upload.owner != owner:
                return False
            del self._uploads[upload_id]
            if upload.path is not None:
                upload.path.unlink(missing_ok=True)
            return True

    def by_key(self, owner: str, key: str) -> SimUpload | None:
        with self._lock:
            for u in self._uploads.values():
                if u.key == key and u.owner == owner:
                    return u
            return None

    def get(self, upload_id: str) -> SimUpload | None:
        with self._lock:
            return self._uploads.get(upload_id)

    def all(self) -> list[SimUpload]:
        with self._lock:
            return list(self._uploads.values())

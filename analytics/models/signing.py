"""Model files authenticated with a key kept outside the models folder (HMAC-SHA256), not just hashed.

A SHA-256 on the card beside the model file authenticates nothing: whoever can replace the file can
replace the card, and unpickling a joblib file runs whatever code it carries. So every version has
a signature ``<version>.sig``: an HMAC-SHA256, under a secret key, over the version name, the model
file's bytes and the card's canonical JSON (sorted keys, no spaces), each part length-prefixed.
Without the key nobody can write a file, a card or a name that verifies; the registry compares
signatures with ``hmac.compare_digest`` before anything is unpickled.

Where the key comes from, first found wins:

1. ``$SAFERANK_MODEL_KEY``: the key itself (at least 32 characters);
2. the key file ``$SAFERANK_MODEL_KEY_FILE`` (or the registry's ``key_file`` argument);
3. the key file ``.model_key`` beside the models folder (``data/.model_key`` for ``data/models``).

The first model registered creates the key file (mode 0600, 32 random bytes as hex). A key file
inside the models folder, or one that other users may read or write, is refused.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from analytics.contract.errors import UserError

KEY_ENV = "SAFERANK_MODEL_KEY"
KEY_FILE_ENV = "SAFERANK_MODEL_KEY_FILE"
KEY_FILE_NAME = ".model_key"
MIN_KEY_CHARS = 32
ALGORITHM = "HMAC-SHA256"
DOMAIN = b"saferank-model-signature/1"


@dataclass(frozen=True)
class SigningKey:
    """The secret and where it came from (``origin``: the environment variable's name or the file)."""

    secret: bytes
    origin: str

    @property
    def key_id(self) -> str:
        """A short name of the key (an HMAC of a constant, so it reveals nothing of the key)."""
        return hmac.new(self.secret, b"saferank model key id", "sha256").hexdigest()[:12]

    @property
    def from_environment(self) -> bool:
        return self.origin == KEY_ENV


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def key_file_path(models_root: Path, configured: str | Path | None = None) -> Path:
    """The key file: ``configured``, else ``$SAFERANK_MODEL_KEY_FILE``, else ``.model_key`` beside the models folder."""
    path = Path(configured or os.environ.get(KEY_FILE_ENV) or Path(models_root).parent / KEY_FILE_NAME)
    if _inside(path, Path(models_root)):
        raise UserError(
            f"模型签名密钥文件 {path} 位于模型目录 {models_root} 之内：能改动模型文件的人也能改动密钥。"
            f"请把密钥放在模型目录之外（{KEY_FILE_ENV}）。",
            f"The model signing key file {path} is inside the models folder {models_root}: whoever can change a "
            f"model file could change the key too. Keep the key outside the models folder ({KEY_FILE_ENV}).",
        )
    return path


def check_secret(text: str, origin: str) -> bytes:
    secret = text.strip()
    if len(secret) < MIN_KEY_CHARS:
        raise UserError(f"模型签名密钥（{origin}）过短：至少需要 {MIN_KEY_CHARS} 个字符。",
                        f"The model signing key ({origin}) is too short: it needs at least {MIN_KEY_CHARS} characters.")
    return secret.encode("utf-8")


def read_key_file(path: Path) -> SigningKey:
    """The key kept in ``path``; refused when other users may read or write it."""
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise UserError(f"模型签名密钥文件 {path} 的权限过宽（其他用户可读或可写）：请执行 chmod 600 {path}。",
                        f"The model signing key file {path} may be read or written by other users: run chmod 600 {path}.")
    return SigningKey(check_secret(path.read_text(encoding="utf-8"), str(path)), str(path))


def read_key(models_root: Path, configured: str | Path | None = None) -> SigningKey | None:
    """The signing key (see the module docstring), or None when there is none yet."""
    value = os.environ.get(KEY_ENV)
    if value:
        return SigningKey(check_secret(value, KEY_ENV), KEY_ENV)
    path = key_file_path(models_root, configured)
    return read_key_file(path) if path.exists() else None


def new_secret() -> str:
    return secrets.token_hex(32)


def write_key_file(path: Path, secret: str) -> bool:
    """Create ``path`` (mode 0600) holding ``secret``, unless it exists; True when this call created it.

    The key is written to a temporary file first and linked into place, so a concurrent reader never
    sees a half-written key and two concurrent creators agree on one key.
    """
    check_secret(secret, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temporary, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(secret.strip() + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        Path(temporary).unlink(missing_ok=True)


def ensure_key(models_root: Path, configured: str | Path | None = None) -> SigningKey:
    """The signing key, creating the key file on first use (the first model registered)."""
    key = read_key(models_root, configured)
    if key is not None:
        return key
    path = key_file_path(models_root, configured)
    try:
        write_key_file(path, new_secret())
    except OSError as error:
        raise UserError(f"无法创建模型签名密钥文件 {path}：{error}。请设置 {KEY_FILE_ENV} 指向可写位置，或设置 {KEY_ENV}。",
                        f"Cannot create the model signing key file {path}: {error}. Set {KEY_FILE_ENV} to a writable "
                        f"place, or set {KEY_ENV}.") from error
    return read_key_file(path)


def canonical_card(card: dict) -> bytes:
    """The card as signed: JSON with sorted keys and no spaces, UTF-8."""
    return json.dumps(card, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret: bytes, version: str, model_bytes: bytes, card: dict) -> str:
    mac = hmac.new(secret, digestmod="sha256")
    for part in (DOMAIN, version.encode("utf-8"), model_bytes, canonical_card(card)):
        mac.update(len(part).to_bytes(8, "big"))
        mac.update(part)
    return mac.hexdigest()


def signature_file(key: SigningKey, version: str, model_bytes: bytes, card: dict) -> bytes:
    """The contents of ``<version>.sig``."""
    record = {"algorithm": ALGORITHM, "key_id": key.key_id, "version": version,
              "signature": signature(key.secret, version, model_bytes, card)}
    return (json.dumps(record, indent=2) + "\n").encode("utf-8")


def _stored_signature(sig_bytes: bytes) -> tuple[str, str] | None:
    """(signature, key id) from a ``.sig`` file's bytes, None when they are not one."""
    try:
        record = json.loads(sig_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("algorithm") != ALGORITHM or not isinstance(record.get("signature"), str):
        return None
    return record["signature"], str(record.get("key_id", ""))


def matches(key: SigningKey, version: str, model_bytes: bytes, card: dict, sig_bytes: bytes) -> bool:
    """True when ``sig_bytes`` is the signature of these bytes under ``key`` (constant-time comparison)."""
    stored = _stored_signature(sig_bytes)
    if stored is None:
        return False
    expected = signature(key.secret, version, model_bytes, card)
    return hmac.compare_digest(expected.encode("ascii"), stored[0].encode("utf-8"))


def verify(key: SigningKey | None, version: str, model_bytes: bytes, card: dict, sig_bytes: bytes | None,
           model_path: Path) -> None:
    """Refuse (``UserError`` naming ``model_path``) unless ``sig_bytes`` signs these bytes under ``key``."""
    name = model_path.name
    if key is None:
        raise UserError(
            f"无法核验模型文件 {model_path} 的签名：没有模型签名密钥（{KEY_ENV}，或模型目录旁的 {KEY_FILE_NAME}）。拒绝加载。",
            f"Cannot verify the signature of the model file {model_path}: there is no model signing key ({KEY_ENV}, "
            f"or {KEY_FILE_NAME} beside the models folder). It is not loaded.",
        )
    if sig_bytes is None:
        raise UserError(
            f"模型文件 {name} 没有签名（{version}.sig），可能是启用签名之前训练的，拒绝加载。管理员核实该版本可信后，"
            f"可运行 saferank models sign {version}。",
            f"The model file {name} is not signed ({version}.sig is missing); it may predate signing. It is not "
            f"loaded. An administrator who has checked the version can run saferank models sign {version}.",
        )
    if matches(key, version, model_bytes, card, sig_bytes):
        return
    stored = _stored_signature(sig_bytes)
    if stored is not None and stored[1] and stored[1] != key.key_id:
        raise UserError(
            f"模型文件 {name} 的签名不是用本机的模型签名密钥生成的（密钥编号 {stored[1]}，本机为 {key.key_id}），拒绝加载。",
            f"The model file {name} was not signed with this installation's model signing key (key id {stored[1]}, "
            f"this one is {key.key_id}); it is not loaded.",
        )
    raise UserError(
        f"模型文件 {name} 或其模型卡与签名不符：签名之后被改动过，拒绝加载。",
        f"The model file {name} or its card does not match its signature: it was changed after signing, so it is "
        "not loaded.",
    )

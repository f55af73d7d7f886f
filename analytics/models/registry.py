"""The model registry: versioned model files with their cards, and which version serves the risk list.

Layout under the registry folder (``data/models/`` under the working directory by default; else
``$SAFERANK_MODELS`` or the ``root`` argument):

- ``<version>.joblib``: the fitted estimator;
- ``<version>.json``: its card (version, model name, training window, features, hyper-parameters,
  backtest metrics against the baselines, data fingerprint, library versions, sha256 of the joblib
  file, seed, notes in zh/en);
- ``<version>.sig``: the signature of the file and the card under a key kept outside this folder
  (``analytics.models.signing``);
- ``<version>.md``: the same card for people, in Chinese and English;
- ``serving.json``: ``{"serving": version, "history": [earlier serving versions, newest last]}``.

A version is named by ``VERSION_PATTERN`` (letters, digits, ``.``, ``_``, ``-``; no path) and, once
written, never changes: registering a version id that exists writes ``<id>-2`` (``-3``, ...)
instead. Loading reads the file's bytes once, checks the signature over them before anything is
unpickled, then refuses a card written by another scikit-learn minor version. Promotion takes a
version name from the registry's own list, with a valid signature, and writes ``serving.json`` to a
temporary name and ``os.replace``s it, so a crash leaves the previous version serving; rollback
returns to the previously serving version.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import re
import tempfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn

from analytics.contract.errors import UserError
from analytics.models import signing
from analytics.models.uncertainty import card_lines, curve_lines, metrics_lines

MODELS_ENV = "SAFERANK_MODELS"
POINTER = "serving.json"
VERSION_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
STATUS_ZH = {"serving": "在用", "previous": "曾在用", "candidate": "候选"}
SIGNATURE_ZH = {"valid": "有效", "unsigned": "未签名", "invalid": "无效", "missing": "缺文件", "no_key": "无密钥"}
CARD_FIELDS_ZH = {
    "version": "版本", "model": "模型", "status": "状态", "trained_as_of": "训练截止日期",
    "training_window": "训练窗口", "n_rows": "训练样本数", "n_positive": "阳性样本数",
    # how the backtests that chose the model scored (``saferank train --capacity-of --window-days``)
    "capacity": "回测检查能力", "capacity_of": "检查能力按（operating 在营企业 / inspected 窗口内被检查企业）",
    "window_days": "每个起点评分的天数", "seed": "随机种子",
    "data_fingerprint": "数据指纹", "sha256": "模型文件 SHA-256", "created_at": "创建时间",
    "retrained_from": "同一版本号重训自",
}


def models_root(root: str | Path | None = None) -> Path:
    """The registry folder: the argument, else ``$SAFERANK_MODELS``, else ``data/models`` under the cwd."""
    return Path(root or os.environ.get(MODELS_ENV) or Path.cwd() / "data" / "models")


def library_versions() -> dict[str, str]:
    import shap

    return {"scikit-learn": sklearn.__version__, "pandas": pd.__version__, "numpy": np.__version__,
            "joblib": joblib.__version__, "shap": shap.__version__}


def data_fingerprint(tables: dict[str, pd.DataFrame]) -> str:
    """sha256 over every table's name, columns and row hashes (order of rows and tables ignored)."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        frame = tables[name]
        digest.update(name.encode())
        digest.update("\x1f".join(map(str, frame.columns)).encode())
        rows = np.sort(pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64))
        digest.update(rows.tobytes())
    return digest.hexdigest()


def content_digest(model_bytes: bytes, card: dict) -> str:
    """sha256 over a version's model file and canonical card: what an administrator confirmed."""
    return hashlib.sha256(hashlib.sha256(model_bytes).digest() + signing.canonical_card(card)).hexdigest()


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def _write_atomic(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _json_default(value: object) -> object:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (pd.Timestamp,)):
        return value.date().isoformat()
    return str(value)


def check_version_name(version: object) -> str:
    """``version`` when it is a version name (``VERSION_PATTERN``, not the pointer's), else a ``UserError``."""
    if not isinstance(version, str) or not VERSION_PATTERN.fullmatch(version) or f"{version}.json" == POINTER:
        raise UserError(
            f"“{version}” 不是模型版本名：版本名只含字母、数字、点、下划线和连字符，不含路径。",
            f"“{version}” is not a model version name: a version name has only letters, digits, dots, underscores "
            "and hyphens, and no path.",
        )
    return version


class ModelRegistry:
    """Versions of fitted models in one folder, and the pointer to the serving one.

    ``key_file``: where the signing key is kept (see ``analytics.models.signing``; default
    ``$SAFERANK_MODEL_KEY_FILE``, else ``.model_key`` beside the folder).
    """

    def __init__(self, root: str | Path | None = None, key_file: str | Path | None = None) -> None:
        self.root = models_root(root)
        self.key_file = key_file

    def _path(self, version: str, suffix: str) -> Path:
        return self.root / f"{version}{suffix}"

    # --- writing --------------------------------------------------------------------------
    def register(self, model: object, card: dict, promote_if_first: bool = True) -> dict:
        """Save ``model`` with ``card`` (fields as in the module docstring; ``version`` and ``model`` required).

        An existing version is never overwritten: when ``card["version"]`` is taken (the same data
        trained again), the model is saved as ``<version>-2`` (``-3``, ...). The first version
        registered in an empty registry is promoted. Returns the completed card.
        """
        requested = check_version_name(card["version"])
        key = signing.ensure_key(self.root, self.key_file)
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=f".{requested}.", suffix=".tmp")
        os.close(handle)
        try:
            joblib.dump(model, temporary, compress=3)
            model_bytes = Path(temporary).read_bytes()
            version = self._claim(requested, Path(temporary))
        finally:
            Path(temporary).unlink(missing_ok=True)
        card = {**card, "version": version, "sha256": hashlib.sha256(model_bytes).hexdigest(),
                "libraries": library_versions(),
                "created_at": card.get("created_at") or pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")}
        if version != requested:
            card["retrained_from"] = requested
        card_bytes = json.dumps(card, ensure_ascii=False, indent=2, default=_json_default).encode("utf-8")
        card = json.loads(card_bytes)  # what is signed is what a reader will parse
        # the signature before the card: a listed version (one with a card) is always complete
        _write_atomic(self._path(version, ".sig"), signing.signature_file(key, version, model_bytes, card))
        _write_atomic(self._path(version, ".json"), card_bytes)
        _write_atomic(self._path(version, ".md"), render_card(card).encode("utf-8"))
        if promote_if_first and self.serving() is None:
            self.promote(version)
        return card

    def _claim(self, version: str, model_file: Path) -> str:
        """Link ``model_file`` to ``<name>.joblib`` under the first free name (``version``, ``version-2``, ...).

        A hard link fails when the name exists, so two trainings at once cannot claim the same name.
        """
        for n in itertools.count(1):
            name = check_version_name(version if n == 1 else f"{version}-{n}")
            if any(self._path(name, suffix).exists() for suffix in (".json", ".sig", ".md")):
                continue
            try:
                os.link(model_file, self._path(name, ".joblib"))
            except FileExistsError:
                continue
            return name
        raise AssertionError("unreachable")

    def promote(self, version: str) -> None:
        """Make ``version`` the serving one (the current one goes on the history for ``rollback``).

        Only a version of this registry's own list, whose signature verifies, is accepted.
        """
        version = self.listed(version)
        self.verify(version)
        pointer = self._pointer()
        if pointer["serving"] == version:
            return
        history = pointer["history"] + ([pointer["serving"]] if pointer["serving"] else [])
        self._write_pointer({"serving": version, "history": history})

    def rollback(self) -> str:
        """Serve the previously serving version again (its signature must verify); returns it."""
        pointer = self._pointer()
        if not pointer["history"]:
            raise UserError("没有可回退的上一版本模型。", "There is no previously serving model version to roll back to.")
        previous = self.listed(pointer["history"][-1])
        self.verify(previous)
        self._write_pointer({"serving": previous, "history": pointer["history"][:-1]})
        return previous

    def _write_pointer(self, pointer: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.root / POINTER, json.dumps(pointer, ensure_ascii=False, indent=2).encode("utf-8"))

    def write_signature(self, version: str, key: signing.SigningKey, *, digest: str | None = None,
                        previous: signing.SigningKey | None = None) -> None:
        """Sign ``version`` as it is now with ``key``: the administrator's ``saferank models sign`` and
        ``rotate-key`` (``analytics.models.key_admin``), which decide whether it deserves it.

        ``digest``: refuse unless the version's ``content_digest`` is still this one (what the
        administrator was shown); ``previous``: refuse unless its signature verifies under that key.
        """
        version = self.listed(version)
        model_bytes, card = self._read_bytes(version)
        if digest is not None and content_digest(model_bytes, card) != digest:
            raise UserError(f"模型版本 {version} 在确认之后被改动，未签名。",
                            f"Model version {version} changed after it was confirmed; it is not signed.")
        if previous is not None:
            sig_path = self._path(version, ".sig")
            signing.verify(previous, version, model_bytes, card, sig_path.read_bytes() if sig_path.exists() else None,
                           self._path(version, ".joblib"))
        _write_atomic(self._path(version, ".sig"), signing.signature_file(key, version, model_bytes, card))

    # --- reading --------------------------------------------------------------------------
    def _pointer(self) -> dict:
        path = self.root / POINTER
        if not path.exists():
            return {"serving": None, "history": []}
        return json.loads(path.read_text(encoding="utf-8"))

    def serving(self) -> str | None:
        return self._pointer()["serving"]

    def names(self) -> list[str]:
        """The versions of this registry: the names of the cards in its folder, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(path.stem for path in self.root.glob("*.json")
                      if path.name != POINTER and VERSION_PATTERN.fullmatch(path.stem) and path.is_file())

    def listed(self, version: object) -> str:
        """``version`` when it is one of ``names()``, else a ``UserError``."""
        version = check_version_name(version)
        if version not in self.names():
            raise UserError(f"模型版本 {version} 不存在（目录 {self.root}）。",
                            f"Model version {version} does not exist (folder {self.root}).")
        return version

    def card(self, version: str) -> dict:
        """The card as written (for showing; ``load`` and ``verify`` check its signature)."""
        return json.loads(self._path(self.listed(version), ".json").read_text(encoding="utf-8"))

    def card_text(self, version: str) -> str:
        return render_card(self.card(version))

    def versions(self) -> pd.DataFrame:
        """One row per version, newest first: version, model, trained_as_of, created_at, status, metrics."""
        pointer = self._pointer()
        rows = []
        for version in self.names():
            card = json.loads(self._path(version, ".json").read_text(encoding="utf-8"))
            winner = (card.get("metrics") or {}).get(card.get("model"), {})
            status = "serving" if version == pointer["serving"] else (
                "previous" if version in pointer["history"] else "candidate")
            rows.append({"version": version, "model": card.get("model"), "trained_as_of": card.get("trained_as_of"),
                         "created_at": card.get("created_at"), "status": status,
                         "precision_at_capacity": winner.get("precision_at_capacity"), "brier": winner.get("brier")})
        frame = pd.DataFrame(rows, columns=["version", "model", "trained_as_of", "created_at", "status",
                                            "precision_at_capacity", "brier"])
        return frame.sort_values(["created_at", "version"], ascending=False, kind="stable").reset_index(drop=True)

    def signature_state(self, version: str, key: signing.SigningKey | None = None) -> str:
        """``valid``, ``unsigned``, ``invalid`` (a signature that does not verify under ``key``), ``missing``
        (no model file) or ``no_key`` (no signing key to check with)."""
        version = self.listed(version)
        if not self._path(version, ".joblib").exists():
            return "missing"
        if not self._path(version, ".sig").exists():
            return "unsigned"
        key = key or signing.read_key(self.root, self.key_file)
        if key is None:
            return "no_key"
        model_bytes, card = self._read_bytes(version)
        return "valid" if signing.matches(key, version, model_bytes, card, self._path(version, ".sig").read_bytes()) \
            else "invalid"

    def render_versions(self, lang: str = "zh") -> str:
        versions = self.versions()
        if versions.empty:
            return f"模型目录 {self.root} 中尚无模型版本。" if lang == "zh" else f"No model versions in {self.root} yet."
        key = signing.read_key(self.root, self.key_file)
        versions["signature"] = versions["version"].map(lambda v: self.signature_state(v, key))
        if lang == "zh":
            versions = versions.assign(status=versions["status"].map(STATUS_ZH),
                                       signature=versions["signature"].map(SIGNATURE_ZH))
        return versions.to_string(index=False)

    def promote_message(self, version: str, lang: str = "zh") -> str:
        self.promote(version)
        return f"在用模型已切换为 {version}。" if lang == "zh" else f"Version {version} now serves."

    def rollback_message(self, lang: str = "zh") -> str:
        version = self.rollback()
        return f"已回退，在用模型为 {version}。" if lang == "zh" else f"Rolled back; version {version} serves again."

    def read_version(self, version: str) -> tuple[bytes, dict]:
        """The model file's bytes and the card of ``version``, not verified and not unpickled."""
        return self._read_bytes(self.listed(version))

    def _read_bytes(self, version: str) -> tuple[bytes, dict]:
        """The model file's bytes and the card of a listed ``version``, each read once."""
        path = self._path(version, ".joblib")
        if not path.exists():
            raise UserError(f"模型文件 {path} 缺失。", f"The model file {path} is missing.")
        return path.read_bytes(), json.loads(self._path(version, ".json").read_bytes().decode("utf-8"))

    def verify(self, version: str) -> tuple[bytes, dict]:
        """The model file's bytes and the card of ``version`` after their signature is checked; nothing
        is unpickled. A ``UserError`` naming the file when the signature is missing or does not verify."""
        version = self.listed(version)
        model_bytes, card = self._read_bytes(version)
        sig_path = self._path(version, ".sig")
        sig_bytes = sig_path.read_bytes() if sig_path.exists() else None
        signing.verify(signing.read_key(self.root, self.key_file), version, model_bytes, card, sig_bytes,
                       self._path(version, ".joblib"))
        return model_bytes, card

    def load(self, version: str | None = None) -> tuple[object, dict]:
        """The fitted model and its card (``version`` None: the serving one), after the checks: the
        signature over the very bytes that are then unpickled, and the scikit-learn version."""
        version = version or self.serving()
        if version is None:
            raise UserError("尚无在用模型：请先运行 saferank train。", "No model is serving yet: run saferank train first.")
        model_bytes, card = self.verify(version)
        written_with = (card.get("libraries") or {}).get("scikit-learn", "")
        if _minor(written_with) != _minor(sklearn.__version__):
            raise UserError(
                f"模型 {version} 由 scikit-learn {written_with} 训练，当前为 {sklearn.__version__}，版本不兼容：请重新训练。",
                f"Model {version} was trained with scikit-learn {written_with}, this is {sklearn.__version__}; "
                "the versions are incompatible: train again.",
            )
        return joblib.load(io.BytesIO(model_bytes)), card


def render_card(card: dict) -> str:
    """The model card as bilingual Markdown."""
    lines = [f"# 模型卡 Model card: {card['version']}", ""]
    for key, zh in CARD_FIELDS_ZH.items():
        if key in card and card[key] is not None:
            value = card[key]
            if isinstance(value, (list, tuple)):
                value = " – ".join(map(str, value))
            lines.append(f"- {zh} {key.replace('_', ' ')}: {value}")
    for lang, title in (("zh", "说明"), ("en", "Notes")):
        note = (card.get("notes") or {}).get(lang)
        if note:
            lines += ["", f"## {title}", "", note]
    table = metrics_lines(card)
    if table:
        lines += ["", "## 回测指标 Backtest metrics", ""] + table
    lines += curve_lines(card)
    lines += card_lines(card.get("selection_detail") or {})
    if card.get("params"):
        lines += ["", "## 超参数 Hyper-parameters", ""] + [f"- {k}: {v}" for k, v in card["params"].items()]
    if card.get("features"):
        lines += ["", f"## 特征 Features ({len(card['features'])})", "", ", ".join(card["features"])]
    if card.get("libraries"):
        lines += ["", "## 软件版本 Library versions", ""] + [f"- {k} {v}" for k, v in card["libraries"].items()]
    return "\n".join(lines) + "\n"

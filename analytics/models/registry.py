"""The model registry: versioned model files with their cards, and which version serves the risk list.

Layout under the registry folder (``data/models/`` under the working directory by default; else
``$SAFERANK_MODELS`` or the ``root`` argument):

- ``<version>.joblib``: the fitted estimator;
- ``<version>.json``: its card (version, model name, training window, features, hyper-parameters,
  backtest metrics against the baselines, data fingerprint, library versions, sha256 of the joblib
  file, seed, notes in zh/en);
- ``<version>.md``: the same card for people, in Chinese and English;
- ``serving.json``: ``{"serving": version, "history": [earlier serving versions, newest last]}``.

Loading checks the file's sha256 against its card and refuses a card written by another
scikit-learn minor version. Promotion writes ``serving.json`` to a temporary name and ``os.replace``s
it, so a crash leaves the previous version serving; rollback returns to the previously serving
version.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn

from analytics.contract.errors import UserError

MODELS_ENV = "SAFERANK_MODELS"
POINTER = "serving.json"
STATUS_ZH = {"serving": "在用", "previous": "曾在用", "candidate": "候选"}
CARD_FIELDS_ZH = {
    "version": "版本", "model": "模型", "status": "状态", "trained_as_of": "训练截止日期",
    "training_window": "训练窗口", "n_rows": "训练样本数", "n_positive": "阳性样本数", "seed": "随机种子",
    "data_fingerprint": "数据指纹", "sha256": "模型文件 SHA-256", "created_at": "创建时间",
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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


class ModelRegistry:
    """Versions of fitted models in one folder, and the pointer to the serving one."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = models_root(root)

    # --- writing --------------------------------------------------------------------------
    def register(self, model: object, card: dict, promote_if_first: bool = True) -> dict:
        """Save ``model`` with ``card`` (fields as in the module docstring; ``version`` and ``model`` required).

        The first version registered in an empty registry is promoted. Returns the completed card.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        version = card["version"]
        model_path = self.root / f"{version}.joblib"
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=f".{version}.", suffix=".tmp")
        os.close(handle)
        try:
            joblib.dump(model, temporary, compress=3)
            os.replace(temporary, model_path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        card = {**card, "sha256": file_sha256(model_path), "libraries": library_versions(),
                "created_at": card.get("created_at") or pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")}
        _write_atomic(self.root / f"{version}.json",
                      json.dumps(card, ensure_ascii=False, indent=2, default=_json_default).encode("utf-8"))
        _write_atomic(self.root / f"{version}.md", render_card(card).encode("utf-8"))
        if promote_if_first and self.serving() is None:
            self.promote(version)
        return card

    def promote(self, version: str) -> None:
        """Make ``version`` the serving one (the current one goes on the history for ``rollback``)."""
        self.card(version)  # refuses an unknown version
        pointer = self._pointer()
        if pointer["serving"] == version:
            return
        history = pointer["history"] + ([pointer["serving"]] if pointer["serving"] else [])
        self._write_pointer({"serving": version, "history": history})

    def rollback(self) -> str:
        """Serve the previously serving version again; returns it."""
        pointer = self._pointer()
        if not pointer["history"]:
            raise UserError("没有可回退的上一版本模型。", "There is no previously serving model version to roll back to.")
        previous = pointer["history"][-1]
        self._write_pointer({"serving": previous, "history": pointer["history"][:-1]})
        return previous

    def _write_pointer(self, pointer: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.root / POINTER, json.dumps(pointer, ensure_ascii=False, indent=2).encode("utf-8"))

    # --- reading --------------------------------------------------------------------------
    def _pointer(self) -> dict:
        path = self.root / POINTER
        if not path.exists():
            return {"serving": None, "history": []}
        return json.loads(path.read_text(encoding="utf-8"))

    def serving(self) -> str | None:
        return self._pointer()["serving"]

    def card(self, version: str) -> dict:
        path = self.root / f"{version}.json"
        if not path.exists():
            raise UserError(f"模型版本 {version} 不存在（目录 {self.root}）。",
                            f"Model version {version} does not exist (folder {self.root}).")
        return json.loads(path.read_text(encoding="utf-8"))

    def card_text(self, version: str) -> str:
        return render_card(self.card(version))

    def versions(self) -> pd.DataFrame:
        """One row per version, newest first: version, model, trained_as_of, created_at, status, metrics."""
        pointer = self._pointer()
        rows = []
        for path in sorted(self.root.glob("*.json")) if self.root.exists() else []:
            if path.name == POINTER:
                continue
            card = json.loads(path.read_text(encoding="utf-8"))
            winner = (card.get("metrics") or {}).get(card.get("model"), {})
            status = "serving" if card["version"] == pointer["serving"] else (
                "previous" if card["version"] in pointer["history"] else "candidate")
            rows.append({"version": card["version"], "model": card.get("model"), "trained_as_of": card.get("trained_as_of"),
                         "created_at": card.get("created_at"), "status": status,
                         "precision_at_capacity": winner.get("precision_at_capacity"), "brier": winner.get("brier")})
        frame = pd.DataFrame(rows, columns=["version", "model", "trained_as_of", "created_at", "status",
                                            "precision_at_capacity", "brier"])
        return frame.sort_values(["created_at", "version"], ascending=False, kind="stable").reset_index(drop=True)

    def render_versions(self, lang: str = "zh") -> str:
        versions = self.versions()
        if versions.empty:
            return f"模型目录 {self.root} 中尚无模型版本。" if lang == "zh" else f"No model versions in {self.root} yet."
        if lang == "zh":
            versions = versions.assign(status=versions["status"].map(STATUS_ZH))
        return versions.to_string(index=False)

    def promote_message(self, version: str, lang: str = "zh") -> str:
        self.promote(version)
        return f"在用模型已切换为 {version}。" if lang == "zh" else f"Version {version} now serves."

    def rollback_message(self, lang: str = "zh") -> str:
        version = self.rollback()
        return f"已回退，在用模型为 {version}。" if lang == "zh" else f"Rolled back; version {version} serves again."

    def load(self, version: str | None = None) -> tuple[object, dict]:
        """The fitted model and its card (``version`` None: the serving one), after the integrity checks."""
        version = version or self.serving()
        if version is None:
            raise UserError("尚无在用模型：请先运行 saferank train。", "No model is serving yet: run saferank train first.")
        card = self.card(version)
        path = self.root / f"{version}.joblib"
        if not path.exists():
            raise UserError(f"模型文件 {path} 缺失。", f"The model file {path} is missing.")
        if file_sha256(path) != card.get("sha256"):
            raise UserError(f"模型文件 {path.name} 的校验值与模型卡不符，文件可能被改动，拒绝加载。",
                            f"The model file {path.name} does not match the hash on its card; it may have been "
                            "altered, so it is not loaded.")
        written_with = (card.get("libraries") or {}).get("scikit-learn", "")
        if _minor(written_with) != _minor(sklearn.__version__):
            raise UserError(
                f"模型 {version} 由 scikit-learn {written_with} 训练，当前为 {sklearn.__version__}，版本不兼容：请重新训练。",
                f"Model {version} was trained with scikit-learn {written_with}, this is {sklearn.__version__}; "
                "the versions are incompatible: train again.",
            )
        return joblib.load(path), card


def _metrics_table(card: dict) -> list[str]:
    metrics = card.get("metrics") or {}
    if not metrics:
        return []
    names = list(metrics)
    keys = sorted({k for m in metrics.values() for k in m})
    lines = ["| 模型 model | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for name in names:
        cells = [metrics[name].get(k) for k in keys]
        lines.append(f"| {name} | " + " | ".join("" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v))
                                             for v in cells) + " |")
    return lines


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
    table = _metrics_table(card)
    if table:
        lines += ["", "## 回测指标 Backtest metrics", ""] + table
    if card.get("params"):
        lines += ["", "## 超参数 Hyper-parameters", ""] + [f"- {k}: {v}" for k, v in card["params"].items()]
    if card.get("features"):
        lines += ["", f"## 特征 Features ({len(card['features'])})", "", ", ".join(card["features"])]
    if card.get("libraries"):
        lines += ["", "## 软件版本 Library versions", ""] + [f"- {k} {v}" for k, v in card["libraries"].items()]
    return "\n".join(lines) + "\n"

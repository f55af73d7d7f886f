"""The administrator's signing commands: sign versions made before signing, and rotate the signing key.

Neither blesses a file that changed, and both are audited:

- ``signing_plan`` / ``sign_versions`` (``saferank models sign``): versions without any signature
  (trained before signing existed) whose model file still has the SHA-256 their card recorded. The
  administrator sees each version's SHA-256 and confirms; what is signed is exactly what was shown
  (its digest is checked again at signing). A version whose signature exists but does not verify
  is refused: that is the sign of a changed file, not of an old one.
- ``rotation_plan`` / ``rotate_key`` (``saferank models rotate-key``): every version whose signature
  verifies under the current key (or only the ones named) is re-signed with a new key, then the new
  key replaces the old. The new key waits in ``<key file>.new`` meanwhile, so an interrupted
  rotation is finished by running it again.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from analytics.accounts import audit
from analytics.contract.errors import UserError
from analytics.models import signing
from analytics.models.registry import ModelRegistry, content_digest

REFUSED = {
    "valid": ("已有本机密钥的有效签名，无需再签", "already carries a valid signature under this key"),
    "invalid": ("已有签名但核验不通过（文件或模型卡被改动，或由其他密钥签名）：请先查明原因，确认可信后删除其 .sig 文件再签名",
                "carries a signature that does not verify (the file or card changed, or another key signed it): find "
                "out why first; if you trust it, delete its .sig file and sign again"),
    "missing": ("模型文件缺失", "its model file is missing"),
    "altered": ("模型文件与模型卡记录的 SHA-256 不符，训练之后被改动过", "its model file does not have the SHA-256 its card "
                "recorded at training: it changed after training"),
    "not_chosen": ("未被选中，签名不变（轮换后将无法加载）", "not chosen: its signature is left as it is (it will not load "
                   "after the rotation)"),
    "unsigned": ("未签名（请先用 saferank models sign 签名）", "unsigned (sign it first with saferank models sign)"),
    "no_key": ("无密钥可核验", "no key to check it with"),
}


@dataclass
class SigningPlan:
    """What ``saferank models sign`` would do: ``to_sign`` (version, model, created_at, sha256, digest)
    and ``refused`` (version, reason code of ``REFUSED``)."""

    root: Path
    to_sign: list[dict] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def render(self, lang: str = "zh") -> str:
        zh = lang == "zh"
        lines = []
        if self.to_sign:
            lines.append("将为以下模型版本签名。请核对每个文件的 SHA-256 与训练时的记录一致：" if zh else
                         "These model versions will be signed. Check that each file's SHA-256 is the one recorded "
                         "when it was trained:")
            lines += [f"  {row['version']}  {row['model']}  {row['created_at']}  sha256 {row['sha256']}" for row in self.to_sign]
        else:
            lines.append(f"模型目录 {self.root} 中没有需要签名的版本。" if zh else f"No version in {self.root} needs signing.")
        for version, reason in self.refused:
            lines.append(f"  {version}: 不签名，{REFUSED[reason][0]}。" if zh else f"  {version}: not signed, {REFUSED[reason][1]}.")
        return "\n".join(lines)

    def render_done(self, lang: str = "zh") -> str:
        versions = ", ".join(row["version"] for row in self.to_sign)
        return f"已签名：{versions}。" if lang == "zh" else f"Signed: {versions}."


def signing_plan(registry: ModelRegistry, versions: list[str] | None = None) -> SigningPlan:
    """The versions ``sign_versions`` would sign (``versions``, default all) and those it refuses."""
    plan = SigningPlan(registry.root)
    key = signing.read_key(registry.root, registry.key_file)
    for version in versions or registry.names():
        state = registry.signature_state(version, key)
        if state != "unsigned":
            plan.refused.append((version, state))
            continue
        model_bytes, card = registry.read_version(version)
        sha256 = hashlib.sha256(model_bytes).hexdigest()
        if card.get("sha256") != sha256:
            plan.refused.append((version, "altered"))
            continue
        plan.to_sign.append({"version": version, "model": card.get("model"), "created_at": card.get("created_at"),
                             "sha256": sha256, "digest": content_digest(model_bytes, card)})
    return plan


def sign_versions(registry: ModelRegistry, plan: SigningPlan, store, actor=None, source: str | None = None) -> None:
    """Sign the plan's versions (creating the key on an installation that has none); one audit row each."""
    key = signing.ensure_key(registry.root, registry.key_file)
    for row in plan.to_sign:
        registry.write_signature(row["version"], key, digest=row["digest"])
        audit.record(store, actor, "model_sign", row["version"], source,
                     {"sha256": row["sha256"], "key_id": key.key_id})


@dataclass
class RotationPlan:
    """What ``saferank models rotate-key`` would do."""

    root: Path
    current: signing.SigningKey
    new: signing.SigningKey
    pending: Path | None  # the new key's file until it replaces the old one; None with $SAFERANK_MODEL_KEY
    serving: str | None
    resign: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # signed with the new key by an interrupted run
    left: list[tuple[str, str]] = field(default_factory=list)

    def render(self, lang: str = "zh") -> str:
        zh = lang == "zh"
        lines = [f"模型签名密钥 {self.current.key_id} → {self.new.key_id}（目录 {self.root}）。" if zh else
                 f"Model signing key {self.current.key_id} → {self.new.key_id} (folder {self.root})."]
        if self.resign or self.done:
            lines.append("用新密钥重新签名：" if zh else "Re-signed with the new key:")
            lines += [f"  {version}" for version in self.resign + self.done]
        for version, reason in self.left:
            lines.append(f"  {version}: 不重新签名，{REFUSED[reason][0]}。" if zh else
                         f"  {version}: not re-signed, {REFUSED[reason][1]}.")
        if self.serving is not None and self.serving not in self.resign + self.done:
            lines.append(f"注意：在用版本 {self.serving} 不在其中，轮换后将无法加载。" if zh else
                         f"Note: the serving version {self.serving} is not among them; it will not load after the rotation.")
        return "\n".join(lines)

    def render_done(self, lang: str = "zh") -> str:
        if self.pending is None:
            return (f"已用新密钥重新签名。现在把 {signing.KEY_ENV} 改为新密钥并重启服务；在此之前这些版本无法加载。" if lang == "zh"
                    else f"Re-signed with the new key. Now set {signing.KEY_ENV} to the new key and restart the "
                    "service; until then these versions do not load.")
        return (f"已用新密钥重新签名，新密钥已写入 {self.current.origin}。" if lang == "zh"
                else f"Re-signed with the new key, which is now in {self.current.origin}.")


def rotation_plan(registry: ModelRegistry, new_secret: str | None = None, only: list[str] | None = None) -> RotationPlan:
    """Which versions a rotation re-signs (those verifying under the current key; ``only``: of these
    names) and the new key (``new_secret``, else a random one; required when the key is in
    ``$SAFERANK_MODEL_KEY``, which this process cannot change)."""
    current = signing.read_key(registry.root, registry.key_file)
    if current is None:
        raise UserError("尚无模型签名密钥，无需轮换（训练或 saferank models sign 会创建它）。",
                        "There is no model signing key yet, so there is nothing to rotate (training or saferank "
                        "models sign creates it).")
    pending = None
    if current.from_environment:
        if not new_secret:
            raise UserError(f"签名密钥来自环境变量 {signing.KEY_ENV}：请用 --new-key-stdin 提供新密钥，轮换后再把 "
                            f"{signing.KEY_ENV} 改为新密钥。",
                            f"The signing key comes from {signing.KEY_ENV}: give the new key with --new-key-stdin, "
                            f"then set {signing.KEY_ENV} to it after the rotation.")
        new = signing.SigningKey(signing.check_secret(new_secret, "--new-key-stdin"), "--new-key-stdin")
    else:
        pending = Path(current.origin).with_name(Path(current.origin).name + ".new")
        if pending.exists():  # an interrupted rotation: finish it with the key it started
            new = signing.read_key_file(pending)
            if new_secret and signing.check_secret(new_secret, "--new-key-stdin") != new.secret:
                raise UserError(f"上次未完成的轮换留下了新密钥 {pending}，与本次提供的不同：请用同一密钥完成轮换。",
                                f"An interrupted rotation left the new key {pending}, which differs from the one given: "
                                "finish the rotation with the same key.")
        else:
            secret = new_secret or signing.new_secret()
            new = signing.SigningKey(signing.check_secret(secret, "--new-key-stdin"), str(pending))
    if new.secret == current.secret:
        raise UserError("新密钥与当前密钥相同。", "The new key is the same as the current one.")
    chosen = {registry.listed(version) for version in only} if only else None
    plan = RotationPlan(registry.root, current, new, pending, registry.serving())
    for version in registry.names():
        if chosen is not None and version not in chosen:
            plan.left.append((version, "not_chosen"))
        elif registry.signature_state(version, current) == "valid":
            plan.resign.append(version)
        elif registry.signature_state(version, new) == "valid":
            plan.done.append(version)
        else:
            plan.left.append((version, registry.signature_state(version, current)))
    return plan


def rotate_key(registry: ModelRegistry, plan: RotationPlan, store, actor=None, source: str | None = None) -> None:
    """Re-sign the plan's versions with the new key (each verified again under the old one first),
    then put the new key in the old one's place (its file; with ``$SAFERANK_MODEL_KEY`` the
    administrator sets the variable). One audit row."""
    if plan.pending is not None and not plan.pending.exists():
        signing.write_key_file(plan.pending, plan.new.secret.decode("utf-8"))
    for version in plan.resign:
        registry.write_signature(version, plan.new, previous=plan.current)
    if plan.pending is not None:
        os.replace(plan.pending, plan.current.origin)
    audit.record(store, actor, "model_key_rotate", plan.new.key_id, source,
                 {"previous_key_id": plan.current.key_id, "resigned": plan.resign + plan.done,
                  "left": [version for version, _ in plan.left]})

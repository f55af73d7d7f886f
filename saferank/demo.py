"""The demo: the shipped simulated county → import → train → score → a plan → demo accounts, in one call.

Everything lands under ``data/demo/`` (an embedded SQLite store and a model registry of its own), so a
demo never touches an office's real store. A second run reuses what the first one built.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analytics.simulate.sample import SAMPLE_COUNTY

SAMPLE_AS_OF = "2026-11-15"
DEMO_PLAN_DAYS = 5  # a first week of unannounced visits, so the plan and inspector pages have content
DEMO_SEED = 20261116


@dataclass
class DemoSetup:
    db: str
    models_dir: Path
    steps: list[tuple[str, str]] = field(default_factory=list)  # (zh, en) lines, in order
    passwords: dict[str, str] = field(default_factory=dict)

    def render(self, lang: str = "zh") -> str:
        lines = [zh if lang == "zh" else en for zh, en in self.steps]
        if self.passwords:
            lines.append("演示账号（密码仅显示这一次）：" if lang == "zh" else "Demo accounts (passwords shown this once):")
            lines += [f"  {user:<16} {password}" for user, password in self.passwords.items()]
        return "\n".join(lines)


def prepare_demo(folder: str | Path = "data/demo", sample: str | Path = SAMPLE_COUNTY) -> DemoSetup:
    """Build (or reuse) the demo store under ``folder`` and return how to serve it."""
    from analytics.accounts.users import create_demo_users
    from analytics.contract.errors import UserError
    from analytics.store.ingest import import_files
    from analytics.models.registry import ModelRegistry
    from analytics.models.select import train_models
    from analytics.operations.plans_store import list_plans, plan_store
    from analytics.risk.risklist import score_store, scored_dates
    from analytics.snapshot.snapshot import AsOf
    from analytics.store.database import open_store

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    setup = DemoSetup(db=f"sqlite:///{(folder / 'saferank.db').resolve()}", models_dir=(folder / "models").resolve())
    store = open_store(setup.db)

    report = import_files(store, sample, export_date=SAMPLE_AS_OF)
    setup.steps.append(("导入模拟县数据：" + str(sample), "Imported the simulated county: " + str(sample)))
    setup.steps.append((report.render("zh"), report.render("en")))

    registry = ModelRegistry(setup.models_dir)
    serving, refused = registry.serving(), None
    if serving is not None:
        try:
            registry.verify(serving)
        except UserError as error:  # e.g. a demo model trained before model files were signed
            refused = error
    if serving is not None and refused is None:
        setup.steps.append(("模型已存在，沿用。", "A model is already registered; reusing it."))
    else:
        if refused is not None:
            setup.steps.append((f"演示模型 {serving} 无法核验（{refused.zh}），重新训练。",
                                f"The demo's model {serving} cannot be verified ({refused.en}); training a new one."))
        training = train_models(store, as_of=AsOf.parse(SAMPLE_AS_OF), models_dir=setup.models_dir,
                                truth=Path(sample) / "truth.csv")
        registry.promote(training.version)  # the demo's own model, trained just now from the shipped county
        setup.steps.append((training.render("zh"), training.render("en")))

    if refused is not None or pd.Timestamp(SAMPLE_AS_OF) not in set(scored_dates(store)):
        scoring = score_store(store, as_of=AsOf.parse(SAMPLE_AS_OF), models_dir=setup.models_dir)
        setup.steps.append((scoring.render("zh"), scoring.render("en")))
    if list_plans(store).empty:
        planned = plan_store(store, days=DEMO_PLAN_DAYS, seed=DEMO_SEED, out=folder / "plans" / "demo-plan.xlsx",
                             created_by="demo")
        setup.steps.append((planned.render("zh"), planned.render("en")))
    setup.passwords = create_demo_users(store)
    store.dispose()
    return setup


def demo_environment(setup: DemoSetup) -> None:
    """Point the served app at the demo's model registry."""
    os.environ["SAFERANK_MODELS"] = str(setup.models_dir)

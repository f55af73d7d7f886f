"""Errors a user can hit, with their message in Chinese and English, shown once at the edge."""

from __future__ import annotations


class UserError(Exception):
    """An error the user can act on. ``zh`` and ``en`` are complete sentences."""

    exit_code = 2

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en

    def render(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en

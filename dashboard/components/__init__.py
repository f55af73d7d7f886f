"""Pieces every page shares: the risk-level palette, the level badge, the page header, cached data.

``RISK_LEVEL_COLORS`` is the one place the 红橙黄蓝 palette is spelled; figures, badges, the grid
and the theme's CSS classes (``level-red`` ...) all follow it.
"""

from __future__ import annotations

# 红 橙 黄 蓝: strong enough to tell apart on a washed-out projector, and readable in greyscale order.
RISK_LEVEL_COLORS: dict[str, str] = {
    "red": "#d62728",
    "orange": "#ff7f0e",
    "yellow": "#f2c200",
    "blue": "#1f77b4",
}
# Text colour that stays legible on each level's colour.
RISK_LEVEL_TEXT: dict[str, str] = {"red": "#ffffff", "orange": "#000000", "yellow": "#000000", "blue": "#ffffff"}

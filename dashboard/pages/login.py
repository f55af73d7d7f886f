"""The sign-in page: plain server-rendered HTML, so that it needs no Dash route or script.

It lives with the pages but is not a Dash page (Dash only loads page modules that register
themselves); ``dashboard.auth`` serves it at ``/login``. Its style is inline, so nothing under
``/assets`` has to be public.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from dashboard import i18n

STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",system-ui,sans-serif;background:#f3f5f8;margin:0}
main{max-width:360px;margin:12vh auto;background:#fff;padding:2rem;border-radius:8px;
box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.3rem;margin:0 0 1.5rem}label{display:block;margin:.8rem 0 .3rem}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{margin-top:1.2rem;width:100%;padding:.6rem;font-size:1rem;background:#1f4e8c;color:#fff;border:0;
border-radius:4px}.error{color:#b00020;background:#fdecee;padding:.5rem;border-radius:4px}
.note{color:#666;font-size:.85rem}.lang{float:right;font-size:.9rem}
"""


def render_login(*, lang: str, csrf: str, next_path: str, error: tuple[str, str] | None = None) -> str:
    """The sign-in page in ``lang`` ("zh" or "en"); ``error`` is a (zh, en) message to show."""
    pick = 0 if lang == "zh" else 1

    def t(key: str) -> str:
        return escape(i18n.t(f"login.{key}", lang))

    other = "en" if lang == "zh" else "zh"
    error_html = f'<p class="error" role="alert">{escape(error[pick])}</p>' if error else ""
    return f"""<!doctype html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,"><title>{t('title')}</title>
<style>{STYLE}</style></head><body><main>
<a class="lang" href="/login?lang={other}&amp;next={escape(quote(next_path, safe='/'), quote=True)}">{t('switch')}</a>
<h1>{t('heading')}</h1>{error_html}
<form method="post" action="/login" autocomplete="off">
<input type="hidden" name="csrf" value="{escape(csrf, quote=True)}">
<input type="hidden" name="next" value="{escape(next_path, quote=True)}">
<label for="username">{t('username')}</label><input type="text" id="username" name="username" autocomplete="username" required autofocus>
<label for="password">{t('password')}</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">{t('submit')}</button></form>
<p class="note">{t('note')}</p></main></body></html>"""

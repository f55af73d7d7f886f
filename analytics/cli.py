"""``saferank`` command line: maps each command to one ``analytics`` function; no logic of its own.

Every command takes ``--db URL`` (else ``$SAFERANK_DB``, else ``sqlite:///data/saferank.db`` under
the working directory) and ``--lang zh|en`` (messages; default Chinese). Imports are lazy so that
``saferank --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

Handler = Callable[[argparse.Namespace], int]
_HANDLERS: dict[str, Handler] = {}


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None, help="SQLAlchemy URL of the store (default: $SAFERANK_DB or sqlite:///data/saferank.db)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of messages (default zh)")


def _command(sub: argparse._SubParsersAction, name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    _common(parser)
    _HANDLERS[name] = handler
    return parser


# --- handlers: each calls one analytics function ------------------------------------------
# (commands are added below this line, one handler each)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="saferank", description="SafeRank: risk targeting for a county safety office")
    sub = parser.add_subparsers(dest="command", required=True)
    # (subcommands are registered below this line)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from analytics.errors import UserError

    try:
        return _HANDLERS[args.command](args) or 0
    except UserError as error:
        print(error.render(args.lang), file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())

"""The ``k8sviz`` command: thin wrappers that parse arguments, call the library and print.

Each subcommand lives in ``k8sviz/commands/<name>.py`` with ``register(subparsers)`` and
``run(args) -> int``; heavy libraries are imported inside ``run`` so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Sequence

from ._version import __version__
from ._warnings import warning_line

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS = (
    "info", "snapshot", "connectivity", "explain", "policies", "isolation", "diff", "flows", "gaps",
    "segmentation",
    "blast", "paths", "report",
)


class HelpFormatter(argparse.HelpFormatter):
    """argparse's, but a line is broken at spaces only: textwrap's default also breaks after a
    hyphen, and an option name in a help text was cut in two (``--in-`` / ``cluster``) in a
    narrow terminal, as were names such as ``kube-system``; one longer than the line is let run
    past it rather than cut."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        import textwrap

        text = self._whitespace_matcher.sub(" ", text).strip()
        return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        text = self._whitespace_matcher.sub(" ", text).strip()
        return textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent,
                             break_on_hyphens=False, break_long_words=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="k8sviz",
        description="Investigate Kubernetes network security and compliance.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"k8sviz {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f".commands.{name}", __package__)
        p = module.register(sub)
        p.formatter_class = HelpFormatter
        p.set_defaults(_run=module.run)
    return parser


def _cli_text(message: Warning | str) -> str:
    """A library warning as the shell user reads it: a pointer into a DataFrame's attrs is the
    command that lists the same."""
    text = str(message)
    if "df.attrs" in text:
        from .flows import PROBLEMS_HINT

        text = text.replace(PROBLEMS_HINT, "the problems that `k8sviz flows FLOWS --format json` lists")
    return text


def main(argv: Sequence[str] | None = None) -> int:
    from ._terminal import Shown

    # Control characters of a tampered input shown, not obeyed: always in messages, in the
    # output where it reaches a terminal (see k8sviz._terminal).
    out, err = sys.stdout, sys.stderr
    sys.stderr = Shown.wrap(err)
    if out.isatty():
        sys.stdout = Shown.wrap(out)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: Sequence[str] | None) -> int:
    from .errors import K8svizError

    parser = build_parser()
    args = parser.parse_args(argv)
    # Library warnings (unreadable flow lines, aggregated graphs...) as one line each, not
    # with the source line of the library that raised them; for this run only, as a Python
    # caller of main() (a test, a notebook) keeps its own form afterwards.
    formatwarning = warnings.formatwarning
    warnings.formatwarning = lambda message, category, *_a, **_k: warning_line(_cli_text(message))
    try:
        if isinstance(getattr(args, "warnings", None), str):
            from .commands._common import warnings_choice

            # checked before any work, every command alike (info and the engine's took different values)
            args.warnings = warnings_choice(args.warnings)
        return int(args._run(args) or 0)
    except K8svizError as e:
        print(f"k8sviz: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (``k8sviz connectivity ... | head``): stop quietly, as Unix
        # tools do, and keep the interpreter's final flush from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as e:
        print(f"k8sviz: error: {e.strerror or e}: {e.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("k8sviz: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.formatwarning = formatwarning


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The README's command table, generated from the commands' own `--help` (run `cog -r README.md`).

As sqlite-utils does: the help text is the one source, so the README cannot drift from what `--help` says; a test
runs `cog --check`.
"""
from __future__ import annotations

import click


def _usage(command: click.Command, name: str) -> str:
    """`toolkit plan WORKBOOK [--company ID] [--all] …`: arguments first, as cli.md writes them."""
    context = click.Context(command, info_name=f"toolkit {name}")
    parts = [f"toolkit {name}"]
    parts += [p.make_metavar(context) for p in command.params if isinstance(p, click.Argument)]
    for p in command.params:
        if isinstance(p, click.Option) and p.name != "help":
            value = "" if p.is_flag else f" {p.make_metavar(context)}"
            parts.append(f"[{p.opts[0]}{value}]")
    return " ".join(parts)


def _summary(command: click.Command) -> str:
    return (command.help or "").split("\n\n")[0].replace("\n", "")


def command_table() -> str:
    from toolkit.cli import main

    lines = ["| コマンド | すること |", "|---|---|"]
    for name, command in main.commands.items():
        lines.append(f"| `{_usage(command, name)}` | {_summary(command)} |")
    return "\n".join(lines) + "\n"

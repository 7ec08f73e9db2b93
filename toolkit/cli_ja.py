"""click's own words in Japanese (usage lines, section titles, its error messages).

click marks every string it shows with ``gettext``; it ships no Japanese catalog, so this module supplies one and
installs it as the ``_`` / ``ngettext`` of click's modules. The errors people meet most (a missing argument, an
unknown option) are worded in full by ``describe`` instead, because click builds them from English fragments.
"""
from __future__ import annotations

import click
from click import core, decorators, exceptions, formatting, parser, types

from toolkit.japanese import join_lines, wrap_cells

CATALOG: dict[str, str] = {
    "Usage:": "使い方:",
    "Options": "オプション",
    "Commands": "コマンド",
    "Positional arguments": "引数",
    "Show this message and exit.": "この説明を表示して終了します。",
    "Show the version and exit.": "バージョンを表示して終了します。",
    "%(prog)s, version %(version)s": "%(prog)s バージョン %(version)s",
    "Error: {message}": "エラー: {message}",
    "Try '{command} {option}' for help.": "詳しくは「{command} {option}」で説明を表示できます。",
    "Aborted!": "中止しました。",
    "Missing argument": "引数がありません:",
    "Missing option": "オプションがありません:",
    "Missing parameter": "指定がありません:",
    "Missing command.": "コマンドを指定してください。",
    "No such command {name!r}.": "コマンド「{name}」はありません。",
    "No such option {name!r}.": "オプション「{name}」はありません。",
    "Did you mean {possibility}?": "もしかして {possibility} ですか？",
    "(Did you mean one of: {possibilities}?)": "（もしかして {possibilities} のどれかですか？）",
    "Invalid value for {param_hint}: {message}": "{param_hint} の値が正しくありません: {message}",
    "Invalid value: {message}": "値が正しくありません: {message}",
    "Option {name!r} requires an argument.": "オプション {name} には値が必要です。",
    "Option {name!r} requires {nargs} arguments.": "オプション {name} には値が {nargs} 個必要です。",
    "Option {name!r} does not take a value.": "オプション {name} は値をとりません。",
    "Got unexpected extra argument ({args})": "余分な引数があります（{args}）",
    "Got unexpected extra arguments ({args})": "余分な引数があります（{args}）",
    "{value!r} is not {choice}.": "「{value}」は指定できません（{choice} のみ）。",
    "{value!r} is not one of {choices}.": "「{value}」は指定できません（{choices} のいずれか）。",
    "{value!r} is not a valid {number_type}.": "「{value}」は数として読めません。",
    "default: {default}": "既定値: {default}",
    "env var: {var}": "環境変数: {var}",
    "unknown error": "不明なエラー",
}


def _gettext(message: str) -> str:
    return CATALOG.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural)


def wrap_text(text: str, width: int = 78, initial_indent: str = "", subsequent_indent: str = "",
              preserve_paragraphs: bool = False) -> str:
    """click's ``formatting.wrap_text`` measured in terminal cells: click counts characters and breaks only at
    spaces, so a Japanese sentence (two cells a character, no spaces) ran past an 80-column terminal. Same
    paragraph rules as click's: paragraphs split at blank lines, a paragraph opened by ``\\b`` kept as typed."""
    text = text.expandtabs()
    if not preserve_paragraphs:
        return "\n".join(wrap_cells(join_lines(text.splitlines()), width, initial_indent, subsequent_indent))
    paragraphs: list[tuple[int, list[str]]] = []
    for block in "\n".join(line.rstrip() for line in text.splitlines()).split("\n\n"):
        lines = [line for line in block.splitlines() if line]
        if lines:
            paragraphs.append((len(lines[0]) - len(lines[0].lstrip()), lines))
    out = []
    for indent, lines in paragraphs:
        pad = " " * indent
        if lines[0].strip() == "\b":  # as typed, indented
            out.append("\n".join((initial_indent if i == 0 else subsequent_indent) + line
                                 for i, line in enumerate(lines[1:])))
        else:
            out.append("\n".join(wrap_cells(join_lines(lines), width, initial_indent + pad,
                                             subsequent_indent + pad)))
    return "\n\n".join(out)


def install() -> None:
    """Make click speak Japanese and wrap it by terminal cells (idempotent)."""
    for module in (core, decorators, exceptions, formatting, parser, types):
        module._ = _gettext
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext
    formatting.wrap_text = wrap_text  # HelpFormatter.write_text / write_dl look it up in click.formatting


def _hint(error: click.ClickException) -> str:
    param = getattr(error, "param", None)
    if param is None:
        return str(getattr(error, "param_hint", "") or "")
    if isinstance(param, click.Argument):
        return param.human_readable_name
    return " / ".join(param.opts)


def describe(error: click.ClickException) -> str:
    """A usage error as one Japanese sentence (click's own wording is built from English fragments)."""
    if isinstance(error, click.MissingParameter):
        what = "引数" if isinstance(getattr(error, "param", None), click.Argument) else "オプション"
        return f"{what} {_hint(error)} を指定してください。"
    if isinstance(error, click.NoSuchOption):
        text = f"オプション「{error.option_name}」はありません。"
        if error.possibilities:
            text += f"もしかして {', '.join(sorted(error.possibilities))} ですか？"
        return text
    if isinstance(error, click.BadParameter):
        param = getattr(error, "param", None)
        if param is not None and type(param.type).__module__.startswith("toolkit"):
            return error.message  # our own types already say what was wrong, in full
        hint = _hint(error)
        return f"{hint} の指定が正しくありません: {error.message}" if hint else error.message
    return error.format_message()

"""click's own words in Japanese (usage lines, section titles, its error messages).

click marks every string it shows with ``gettext``; it ships no Japanese catalog, so this module supplies one and
installs it as the ``_`` / ``ngettext`` of click's modules. The errors people meet most (a missing argument, an
unknown option) are worded in full by ``describe`` instead, because click builds them from English fragments.
"""
from __future__ import annotations

import click
from click import core, decorators, exceptions, formatting, parser, types

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


def install() -> None:
    """Make click speak Japanese (idempotent)."""
    for module in (core, decorators, exceptions, formatting, parser, types):
        module._ = _gettext
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext


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

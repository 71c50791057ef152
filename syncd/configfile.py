"""Finding, reading and validating the YAML file, with errors that name YAML paths.

Search order: ``--config PATH``, ``$SYNCD_CONFIG``, ``./syncd.yaml``,
``~/.config/syncd/config.yaml``. ``${VAR}`` in any string is replaced by the
environment variable (``$${`` keeps a literal ``${``); a missing variable is an
error at its path, so a secret that is not set refuses to start instead of
connecting with an empty password. Every problem is reported at once, each as
``file:line: path: message``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy.engine import make_url

from connectors.registry import KINDS
from syncd.config import ConfigBase, config_model, unique_source_names
from syncd.errors import ConfigError

_VAR = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")
Loc = tuple[str | int, ...]


def find_config(explicit: Path | None, env: Mapping[str, str] = os.environ) -> Path:
    """The first config file in the documented search order."""
    if explicit is not None:
        candidates = [explicit]
    elif env.get("SYNCD_CONFIG"):
        candidates = [Path(env["SYNCD_CONFIG"])]
    else:
        candidates = [Path("syncd.yaml"), Path.home() / ".config" / "syncd" / "config.yaml"]
    for path in candidates:
        if path.is_file():
            return path
    tried = ", ".join(str(p) for p in candidates)
    raise ConfigError([f"no configuration file found (looked for {tried}); "
                       "`syncd init` writes a starter file"])


def load_config(path: Path, env: Mapping[str, str] = os.environ) -> ConfigBase:
    """Read, interpolate and validate ``path``; :class:`ConfigError` lists every problem."""
    text = _read(path)
    try:
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML: {exc}"]) from exc
    lines = _line_index(node)
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: the top level must be a mapping of keys"])
    problems: list[str] = []
    raw = data
    data = _interpolate(data, (), env, problems)
    try:
        config = config_model().model_validate(
            data, context={"base_dir": path.resolve().parent})
    except ValidationError as exc:
        problems += [_describe(err, lines, path) for err in exc.errors()]
        raise ConfigError(problems) from None
    problems += [f"{path}: {p}" for p in unique_source_names(config)]
    problems += _readable_secrets(path, config, raw, lines)
    if problems:
        raise ConfigError([_at(p, lines, path) if not p.startswith(str(path)) else p
                           for p in problems])
    return config


def _readable_secrets(path: Path, config: ConfigBase, raw: dict[str, Any],
                      lines: dict[Loc, int]) -> list[str]:
    """A secret written in the file itself is refused unless only its owner can read
    the file: ``${VAR}`` keeps it out of the file, ``chmod 600`` keeps it private."""
    mode = path.stat().st_mode & 0o777
    if not mode & 0o077:
        return []
    return [_at(f"{format_loc(loc)}: a secret written in clear text in a file others can "
                f"read (mode {mode:04o}); `chmod 600 {path}`, or write it as ${{VARIABLE}}",
                lines, path, loc) for loc in clear_text_secrets(config, raw)]


def clear_text_secrets(config: BaseModel, raw: Any, loc: Loc = ()) -> Iterator[Loc]:
    """Where the file holds a secret itself rather than a ``${VAR}``: secret fields
    (SecretStr), and a database URL with a password."""
    for name, value in config:
        here, written = (*loc, name), raw.get(name) if isinstance(raw, dict) else None
        if isinstance(value, SecretStr) or (here == ("database", "url") and
                                            make_url(value).password):
            if isinstance(written, str) and "${" not in written:
                yield here
        elif isinstance(value, BaseModel):
            yield from clear_text_secrets(value, written, here)
        elif isinstance(value, tuple) and isinstance(written, list):
            for index, (item, item_raw) in enumerate(zip(value, written, strict=False)):
                if isinstance(item, BaseModel):
                    yield from clear_text_secrets(item, item_raw, (*here, index))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from exc


def _interpolate(value: Any, loc: Loc, env: Mapping[str, str], problems: list[str]) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, (*loc, k), env, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, (*loc, i), env, problems) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        escaped, name = match.groups()
        if escaped:
            return "${" + name + "}"
        if name not in env:
            problems.append(f"{format_loc(loc)}: environment variable {name} is not set")
            return ""
        return env[name]

    return _VAR.sub(substitute, value)


def format_loc(loc: Loc) -> str:
    """``('sources', 2, 'folders')`` -> ``sources[2].folders``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _describe(err: Mapping[str, Any], lines: dict[Loc, int], path: Path) -> str:
    loc = _without_tags(tuple(err["loc"]))
    message = str(err["msg"])
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    elif err["type"] == "union_tag_invalid":
        message = f"unknown kind {err['input'].get('kind')!r}; known kinds: " \
                  f"{err['ctx']['expected_tags']}" if isinstance(err["input"], dict) else message
    return _at(f"{format_loc(loc)}: {message}", lines, path, loc)


def _at(problem: str, lines: dict[Loc, int], path: Path, loc: Loc | None = None) -> str:
    line = None
    while loc is not None and line is None:
        line = lines.get(loc)
        loc = loc[:-1] if loc else None
    return f"{path}:{line}: {problem}" if line else f"{path}: {problem}"


def _without_tags(loc: Loc) -> Loc:
    """Drop the tag pydantic inserts after a tagged-union index (``sources.2.maildir``)."""
    if len(loc) >= 3 and loc[0] == "sources" and isinstance(loc[1], int) and loc[2] in KINDS:
        return (*loc[:2], *loc[3:])
    return loc


def _line_index(node: yaml.Node | None, loc: Loc = ()) -> dict[Loc, int]:
    """Map each YAML path to its 1-based line, so errors can point into the file."""
    if node is None:
        return {}
    index = {loc: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*loc, str(key.value))
            index[child] = key.start_mark.line + 1
            index.update({k: v for k, v in _line_index(value, child).items() if k != child})
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            index.update(_line_index(item, (*loc, i)))
    return index

"""The only reader of scenario files: TOML -> validated, frozen, hashed :class:`Scenario`.

Validation happens here, at the edge: anything wrong in a file (missing file, invalid TOML, unknown
key, wrong type, out-of-range value, a population mix that does not sum to 1) becomes one
:class:`~gaia_sim.errors.UserError` naming the file, the key path and what is allowed.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any, Mapping

from pydantic import BaseModel, ValidationError

from gaia_sim.errors import UserError
from gaia_sim.params import ScenarioParams, field_info


class Scenario(ScenarioParams):
    """A validated scenario: all of :class:`ScenarioParams`, plus a content hash and overrides."""

    @property
    def hash(self) -> str:
        """First 12 hex digits of the SHA-256 of the canonical JSON of every parameter."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "overrides") -> "Scenario":
        """A new validated scenario with ``{"group.key": value}`` replaced (raises UserError)."""
        data = self.to_dict()
        for path, value in overrides.items():
            _set_path(data, path, value, source)
        return from_dict(data, source)


def _set_path(data: dict[str, Any], path: str, value: Any, source: str) -> None:
    node = data
    *parents, leaf = path.split(".")
    for part in parents:
        if not isinstance(node.get(part), dict):
            raise UserError(f"{source}: {path}: unknown parameter group '{part}'")
        node = node[part]
    if leaf not in node:
        raise UserError(f"{source}: {path}: unknown parameter; allowed: {', '.join(sorted(node))}")
    node[leaf] = value


def from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Scenario:
    """Validate a plain mapping (as parsed from TOML) into a Scenario."""
    try:
        return Scenario.model_validate(dict(data))
    except ValidationError as err:
        raise UserError(format_validation_error(err, source)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file. The scenario's name defaults to the file's stem."""
    path = Path(path)
    data = read_toml(path)
    data.setdefault("name", safe_name(path.stem))
    return from_dict(data, str(path))


def to_toml(scenario: Scenario, header: str = "") -> str:
    """Every parameter of ``scenario`` as a scenario file that :func:`load_scenario` (and so
    ``gaia-sim run``) reads back to the same scenario (same hash). ``header``: comment lines on top."""
    lines = [f"# {line}" for line in header.splitlines()]
    lines += _toml_table(scenario.to_dict(), "")
    return "\n".join(lines) + "\n"


def _toml_table(table: Mapping[str, Any], prefix: str) -> list[str]:
    scalars = [f"{key} = {_toml_value(v)}" for key, v in table.items() if not isinstance(v, Mapping)]
    lines = ([f"[{prefix}]"] if prefix and scalars else []) + scalars
    for key, sub in ((k, v) for k, v in table.items() if isinstance(v, Mapping)):
        lines += ([""] if lines else []) + _toml_table(sub, f"{prefix}.{key}" if prefix else key)
    return lines


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)  # TOML reads 1.0, 3, inf and nan as Python writes them
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"to_toml: no TOML form for {value!r}")


def safe_name(text: str) -> str:
    """``text`` made a valid scenario name: characters outside ``[A-Za-z0-9._-]`` become '_'."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", text).lstrip(".")[:100]
    return name or "scenario"


def read_toml(path: Path, what: str = "scenario file") -> dict[str, Any]:
    """Parse a TOML file, turning a missing file or a syntax error into a UserError."""
    if not path.is_file():
        raise UserError(f"{path}: no such {what}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise UserError(f"{path}: invalid TOML: {err}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a UTF-8 text file") from None


def format_validation_error(err: ValidationError, source: str) -> str:
    """One readable message: one line per problem, each naming the key path and what is allowed."""
    lines = [_describe(e) for e in err.errors()]
    head = f"{source}: invalid scenario" if len(lines) > 1 else source
    return head + (":\n  " + "\n  ".join(lines) if len(lines) > 1 else ": " + lines[0])


def _describe(error: Mapping[str, Any]) -> str:
    path = ".".join(str(p) for p in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{path}: unknown key; allowed here: {', '.join(_allowed_keys(error['loc'][:-1]))}"
    msg = error["msg"].removeprefix("Value error, ")
    got = "" if error["type"] == "value_error" else f" (got {error['input']!r})"
    return f"{path}: {msg}{got}{_unit_hint(path)}"


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    group: type[BaseModel] = ScenarioParams
    for part in loc:
        group = group.model_fields[str(part)].annotation  # type: ignore[assignment]
    return sorted(group.model_fields)


def _unit_hint(path: str) -> str:
    try:
        info = field_info(path)
    except (KeyError, AttributeError, TypeError):
        return ""
    bounds = [
        f"{'>=' if k == 'ge' else '<=' if k == 'le' else '>' if k == 'gt' else '<'} {v}"
        for k, v in info.items()
        if k in ("ge", "le", "gt", "lt")
    ]
    allowed = f"; allowed: {' and '.join(bounds)}" if bounds else ""
    return f"{allowed}; unit: {info['unit']}" if info["unit"] else allowed


#: An unquoted --set value taken as a string: a word or a path, nothing TOML would parse otherwise.
BARE_WORD = re.compile(r"[A-Za-z0-9_./~-]+")


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["a.b=1", "c=true"]`` -> ``{"a.b": 1, "c": True}``, values in TOML syntax."""
    out = {}
    for item in items:
        path, sep, value = item.partition("=")
        if not sep or not path.strip():
            raise UserError(f"--set {item!r}: expected PATH=VALUE, e.g. --set staking.node_stake=500")
        try:
            out[path.strip()] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError as err:
            if not BARE_WORD.fullmatch(value.strip()):
                raise UserError(
                    f"--set {item!r}: {value!r} is not a TOML value ({err}); quote strings as "
                    f"{path.strip()}='\"text\"' or give a bare word (letters, digits, . _ - / ~)"
                ) from None
            out[path.strip()] = value.strip()  # a bare word is taken as a string
    return out

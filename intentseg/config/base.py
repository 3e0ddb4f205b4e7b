"""The machinery every section shares: reading params.yaml, the pydantic base model, and messages.

A section is a frozen pydantic model with ``extra="forbid"``; scalar fields use the strict types
below (YAML's ``"5"`` is not a number, ``1`` is not ``true``). A validation error becomes one line
per problem, in the words the project has always used: ``data.read.sep: must be one character``,
``score.chunk_rows: 0 is outside the allowed range [1, inf]``, ``data.catgorical: unknown setting
(did you mean 'categorical'?)``. Cross-field rules are a model's ``problems()``, run once every
field of the model is valid. No default is repeated in code: every value comes from params.yaml.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

import annotated_types
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    ValidationError,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from intentseg.foundation.errors import ConfigError

PARAMS_FILE = "params.yaml"


def load_params(path: str | os.PathLike[str] = PARAMS_FILE) -> dict[str, Any]:
    """The whole parameter file as plain Python values (YAML 1.2 with ruamel.yaml, as DVC reads it)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        params = YAML(typ="safe", pure=True).load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} not found: run the stages from the project root") from None
    except YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(params, dict):
        raise ConfigError(f"{path} must hold a mapping of sections, got {type(params).__name__}")
    return params


def section(params: dict[str, Any], name: str) -> Any:
    """One raw section of the parameters, with a clear error when it is missing."""
    if name not in params:
        raise ConfigError(f"params.yaml has no {name!r} section (sections: {', '.join(params)})")
    return params[name]


def suggest(name: object, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, or nothing."""
    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def section_error(name: str, problems: Iterable[str]) -> ConfigError:
    """The one message of a section's problems (``problems`` already start with their location)."""
    return ConfigError(f"params.yaml, section {name!r}:\n" + "\n".join(f"  - {problem}" for problem in problems))


def password_env_problems(password_env: str | None) -> list[str]:
    """The rule of a ``password_env`` setting: the name of an environment variable, or null."""
    if password_env is None or password_env.isidentifier():
        return []
    return [f"password_env: must be an environment variable name such as WAREHOUSE_PASSWORD, got {password_env!r}"]


# ---------------------------------------------------------------- strict scalar types


def _number(value: Any, handler: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PydanticCustomError("number", "must be a number, got {got}", {"got": repr(value)})
    handler(value)  # the bounds, on the value as a float
    return value  # a whole number stays an int: it reads as written in messages and outputs


def _label(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    raise PydanticCustomError("label", "must be a label value such as yes, 1 or true, got {got}", {"got": repr(value)})


def bounded(
    low: float | None = None, high: float | None = None, *, low_open: bool = False, high_open: bool = False
) -> Any:
    """A required field allowed in a range (``low_open``: ``low`` itself not allowed)."""
    bounds = {("gt" if low_open else "ge"): low, ("lt" if high_open else "le"): high}
    return Field(**{key: value for key, value in bounds.items() if value is not None})


Whole = Annotated[int, Strict()]
"""A whole number (not ``true``, not ``5.0``, not ``"5"``)."""
Number = Annotated[float, WrapValidator(_number)]
"""A number; a whole number is kept as an int."""
Text = Annotated[str, Strict()]
Flag = Annotated[bool, Strict()]
Key = Annotated[str, BeforeValidator(str)]
"""A mapping's key: YAML may read ``1:`` or ``true:`` as a number or a flag; it is kept as text."""
LabelText = Annotated[str, PlainValidator(_label)]
"""A label value as written in a table: text, a number or true/false, kept as canonical text."""


# ---------------------------------------------------------------- sections


class Settings(BaseModel):
    """A group of settings: frozen, every key required, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def problems(self) -> list[str]:
        """Rules across fields (each a phrase; run once every field is valid)."""
        return []

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Self:
        found = self.problems()
        if found:
            raise PydanticCustomError("rules", "{text}", {"text": "; ".join(found), "problems": found})
        return self


class Section(Settings):
    """A top-level section of params.yaml (``name``: its key)."""

    name: ClassVar[str]

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Self:
        """This section of ``params``, checked; raises :class:`ConfigError` listing every problem in it."""
        config, problems = cls.checked(section(params, cls.name))
        if problems:
            raise section_error(cls.name, problems)
        return config

    @classmethod
    def checked(cls, data: Any) -> tuple[Self | None, list[str]]:
        """The section built from ``data`` and no problems, or None and one line per problem."""
        if not isinstance(data, dict):
            return None, [f"{cls.name}: must be a mapping of settings, got {data!r}"]
        try:
            return cls.model_validate(data), []
        except ValidationError as error:
            return None, problem_lines(cls, error.errors())


# ---------------------------------------------------------------- messages


def problem_lines(model: type[Section], errors: list[Any]) -> list[str]:
    """One line per problem, each starting with its location (``score.drift.bins: ...``).

    A setting that may be ``auto`` (a union with a literal) gives one line: the problems inside
    a mapping or list it holds, or "is neither 'auto' nor a valid setting" for a single value.
    """
    lines: list[str] = []
    unions: dict[tuple[Any, ...], list[Any]] = {}
    for error in errors:
        loc, union_at, is_literal = _untagged(model, error["loc"])
        error = {**error, "loc": loc}
        if union_at is None:
            lines.extend(_lines(model, error))
            continue
        if union_at not in unions:
            unions[union_at] = []
            lines.append(union_at)  # a placeholder: the union's lines go where its first error was
        unions[union_at].append((is_literal, error))
    out: list[str] = []
    for line in lines:
        if isinstance(line, str):
            out.append(line)
            continue
        items = unions[line]
        literal = next((error for is_literal, error in items if is_literal), None)
        others = [error for is_literal, error in items if not is_literal]
        got = literal["input"] if literal is not None else None
        out_of_range = bool(others) and others[0]["type"] in _RANGE_ERRORS  # the right kind, outside its bounds
        if literal is not None and others and not isinstance(got, (dict, list)) and not out_of_range:
            words = " nor ".join(repr(word) for word in _literal_values(_field_at(model, line).annotation))
            first = _problem_text(others[0], _field_at(model, others[0]["loc"]))
            out.append(f"{_where(model, line)}: {got!r} is neither {words} nor a valid setting ({first})")
        else:
            out.extend(line_ for error in (others or [literal]) for line_ in _lines(model, error))
    return out


def _where(model: type[Section], loc: tuple[Any, ...]) -> str:
    return model.name + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


def _lines(model: type[Section], error: Any) -> list[str]:
    where = _where(model, error["loc"])
    if error["type"] == "rules":
        return [f"{where}: {problem}" for problem in error["ctx"]["problems"]]
    return [f"{where}: {_problem_text(error, _field_at(model, error['loc']))}"]


def _untagged(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[Any, ...] | None, bool]:
    """``loc`` without pydantic's union member tags; where the (first) union is; whether the literal failed."""
    current: Any = model
    clean: list[Any] = []
    union_at: tuple[Any, ...] | None = None
    is_literal = False
    parts = list(loc)
    while parts:
        options = _options(current)
        part = parts.pop(0)
        if len(options) > 1 and isinstance(part, str) and not _is_field(options, part):
            is_literal = part.startswith("literal[")
            union_at = union_at or tuple(clean)
            chosen = [o for o in options if (typing.get_origin(o) is Literal) == is_literal]
            current = chosen[0] if chosen else options[0]
            continue
        clean.append(part)
        current = _step(current, part)
    return tuple(clean), union_at, is_literal


def _is_field(options: tuple[Any, ...], part: str) -> bool:
    return any(isinstance(o, type) and issubclass(o, BaseModel) and part in o.model_fields for o in options)


def _step(current: Any, part: Any) -> Any:
    """The type one step down ``current`` (a model's field, a mapping's value, a list's item)."""
    for option in _options(current):
        if isinstance(option, type) and issubclass(option, BaseModel) and isinstance(part, str):
            field = option.model_fields.get(part)
            return field.annotation if field is not None else None
        origin, arguments = typing.get_origin(option), typing.get_args(option)
        if origin is dict:
            return arguments[1]
        if origin is tuple and arguments:
            variable = len(arguments) == 2 and arguments[1] is Ellipsis
            return arguments[0] if variable or not isinstance(part, int) or part >= len(arguments) else arguments[part]
    return None


def _problem_text(error: Any, place: Place | None) -> str:
    """One pydantic error in the project's words (``place``: where in the models it happened)."""
    kind, got = error["type"], error.get("input")
    simple = {
        "missing": "missing",
        "int_type": f"must be a whole number, got {got!r}",
        "float_type": f"must be a number, got {got!r}",
        "string_type": f"must be text, got {got!r}",
        "bool_type": f"must be true or false, got {got!r}",
        "dict_type": f"must be a mapping, got {got!r}",
        "tuple_type": f"must be a list, got {got!r}",
        "list_type": f"must be a list, got {got!r}",
        "model_type": f"must be a mapping of settings, got {got!r}",
        "model_attributes_type": f"must be a mapping of settings, got {got!r}",
    }
    if kind in simple:
        return simple[kind]
    if kind == "extra_forbidden" and place is not None and place.parent is not None:
        known = list(place.parent.model_fields)
        return f"unknown setting{suggest(error['loc'][-1], known)} (known: {', '.join(known)})"
    if kind == "literal_error" and place is not None:
        allowed = list(_literal_values(place.annotation))
        return f"{got!r} is not one of {allowed}{suggest(got, map(str, allowed))}"
    if kind in ("too_short", "too_long") and place is not None:
        return f"must be a list of {len(typing.get_args(place.annotation))} values, got {got!r}"
    if kind in _RANGE_ERRORS:
        return f"{got!r} is outside the allowed range {_span(place.bounds if place else [error.get('ctx', {})])}"
    return error["msg"]  # the project's own errors (number, label) already speak its words


def _span(bounds: list[Any]) -> str:
    """``[1, inf]`` or ``(0.0, 1.0)``: a field's whole allowed range (both bounds)."""
    low = high = None
    low_open = high_open = False
    for bound in bounds:
        items = (
            bound.items() if isinstance(bound, dict) else [(k, getattr(bound, k)) for k in _BOUNDS if hasattr(bound, k)]
        )
        for key, value in items:
            if key in ("gt", "ge"):
                low, low_open = value, key == "gt"
            else:
                high, high_open = value, key == "lt"
    left, right = "(" if low_open else "[", ")" if high_open else "]"
    return f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"


_BOUNDS = ("gt", "ge", "lt", "le")
_RANGE_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    for option in _options(annotation):
        if typing.get_origin(option) is Literal:
            return typing.get_args(option)
    return ()


def _options(annotation: Any) -> tuple[Any, ...]:
    """The alternatives of a union (itself otherwise), without None and Annotated wrappers."""
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(
            option for item in typing.get_args(annotation) if item is not type(None) for option in _options(item)
        )
    return (annotation,)


@dataclass(frozen=True)
class Place:
    """A location in the models: the type there, the model that holds it, and its bounds."""

    annotation: Any
    parent: Any
    bounds: list[Any]


def _field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> Place:
    """The type, holding model and bounds at ``loc`` (a field's bounds; none inside lists and mappings)."""
    current: Any = model
    parent: Any = None
    bounds: list[Any] = []
    for part in loc:
        models = [o for o in _options(current) if isinstance(o, type) and issubclass(o, BaseModel)]
        if models and isinstance(part, str):
            parent = models[0]
            field = parent.model_fields.get(part)
            current = field.annotation if field is not None else None
            bounds = _field_bounds(field) if field is not None else []
        else:
            current, bounds = _step(current, part), _annotated_bounds(_step(current, part))
    return Place(current, parent, bounds)


def _field_bounds(field: Any) -> list[Any]:
    return [item for item in field.metadata if isinstance(item, annotated_types.BaseMetadata)] + _annotated_bounds(
        field.annotation
    )


def _annotated_bounds(annotation: Any) -> list[Any]:
    """Bounds written inside ``Annotated[...]`` (e.g. a union member ``Annotated[int, Field(ge=2)]``)."""
    found = []
    for option in (annotation, *_raw_options(annotation)):
        if typing.get_origin(option) is Annotated:
            for item in typing.get_args(option)[1:]:
                found.extend(getattr(item, "metadata", [item]))
    return [item for item in found if isinstance(item, annotated_types.BaseMetadata)]


def _raw_options(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return ()


def seed_of(params: dict[str, Any]) -> int:
    """The one seed behind every random choice."""
    seed = section(params, "seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"params.yaml: seed must be a whole number >= 0, got {seed!r}")
    return seed


def with_absolute_paths(params: dict[str, Any], root: str | os.PathLike[str]) -> dict[str, Any]:
    """A copy of ``params`` whose ``paths:`` entries are absolute, relative to ``root``.

    Lets a stage run from another working directory against a project's files (benchmarks,
    tests of single stages) by writing this copy as that directory's params.yaml.
    """

    def absolute(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: absolute(value) for key, value in node.items()}
        return str(Path(root).resolve() / node)

    return {**params, "paths": absolute(params["paths"])}

"""One rule set for every input of every service (输入规则).

* **Scalars** parse strictly: ``Date`` is ISO 8601 extended ``YYYY-MM-DD`` only, ``DateTime`` ISO 8601
  extended with ``T``, ``Decimal`` a plain decimal number (no exponent, NaN or infinity). Business dates
  (and the date part of timestamps) must lie within a configurable window
  (``ECOSTEWARD_DATE_MIN`` … ``ECOSTEWARD_DATE_MAX``, default 2000-01-01 … 2100-12-31).
* **Text** (every ``String`` argument and input field, at any depth) is trimmed; control characters
  (newline and tab are allowed in multi-line fields only), format characters (bidi overrides, zero-width
  characters, BOM), line/paragraph separators and lone surrogates are refused; its length is limited
  per field (:data:`TEXT_RULES`, else :data:`DEFAULT_TEXT_RULE`). The limits are declared once, here,
  and written into the schema descriptions by :func:`document_text_limits`.
* **Errors** are ``BAD_USER_INPUT`` naming the argument (``extensions.argumentName`` and ``field``, a
  path such as ``input.signedOn`` or ``scopeEnterpriseIds[2]``) with a bilingual message.

:class:`InputRules` applies all of it to the raw variables and literals of an operation before
graphql-core coerces them, so no input reaches a resolver — or an unhandled exception — unchecked.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    get_named_type,
    get_operation_ast,
    visit,
)
from strawberry.types.scalar import ScalarDefinition

from ecosteward.errors import BadUserInput

# ----------------------------------------------------------------------------- dates


DEFAULT_DATE_MIN = dt.date(2000, 1, 1)
DEFAULT_DATE_MAX = dt.date(2100, 12, 31)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?", re.ASCII)
_DECIMAL = re.compile(r"[+-]?\d{1,20}(\.\d{1,10})?", re.ASCII)


class InputRejected(ValueError):
    """An input value breaks a rule; the message is bilingual and names no argument."""


def _env_date(name: str, default: dt.date) -> dt.date:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not _DATE.fullmatch(raw):
        raise ValueError(f"{name} must be a date YYYY-MM-DD, got {raw!r}")
    return dt.date.fromisoformat(raw)


def date_window() -> tuple[dt.date, dt.date]:
    """The business-date window (``ECOSTEWARD_DATE_MIN`` / ``ECOSTEWARD_DATE_MAX``)."""
    return _env_date("ECOSTEWARD_DATE_MIN", DEFAULT_DATE_MIN), _env_date(
        "ECOSTEWARD_DATE_MAX", DEFAULT_DATE_MAX
    )


def check_date_window(day: dt.date) -> dt.date:
    earliest, latest = date_window()
    if not earliest <= day <= latest:
        raise InputRejected(
            f"{day.isoformat()} is outside the accepted dates {earliest.isoformat()} … {latest.isoformat()}"
            " (日期超出允许范围)"
        )
    return day


def parse_date(value: object) -> dt.date:
    """A business date: ``YYYY-MM-DD`` (ISO 8601 extended), a real calendar day, within the window."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise InputRejected(f"{_show(value)} is not a date in the form YYYY-MM-DD (日期格式应为 YYYY-MM-DD)")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputRejected(f"{_show(value)} is not a calendar date (日期不存在)") from exc
    return check_date_window(day)


def parse_datetime(value: object) -> dt.datetime:
    """A timestamp: ISO 8601 extended (``2026-05-01T08:30:00+08:00``), its date within the window."""
    match = _DATETIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InputRejected(
            f"{_show(value)} is not a timestamp in the form YYYY-MM-DDThh:mm:ss[+hh:mm] (时间格式有误)"
        )
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise InputRejected(f"{_show(value)} is not a valid timestamp (时间不存在)") from exc
    check_date_window(dt.date.fromisoformat(match.group(1)))
    return moment


def parse_decimal(value: object) -> Decimal:
    """A plain decimal number, as a string or a JSON number (no exponent, NaN or infinity)."""
    text = str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _DECIMAL.fullmatch(text):
        raise InputRejected(f"{_show(value)} is not a decimal number such as 1234.50 (数值格式有误)")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only valid numbers
        raise InputRejected(f"{_show(value)} is not a decimal number (数值格式有误)") from exc


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _isoformat(value: Any) -> str:
    return str(value.isoformat())


def _strict_scalar(
    origin: type, name: str, description: str, serialize: Callable[[Any], str], parse: Callable[[Any], Any]
) -> ScalarDefinition:
    """A scalar that parses variables with ``parse`` (literals go through the same path)."""
    return ScalarDefinition(
        name=name,
        description=description,
        specified_by_url=None,
        serialize=serialize,
        parse_value=parse,
        parse_literal=None,
        origin=origin,
    )


DATE_SCALAR = _strict_scalar(
    dt.date,
    "Date",
    "A calendar date, ISO 8601 extended format `YYYY-MM-DD` (日期); business dates lie between "
    "2000-01-01 and 2100-12-31 unless configured otherwise.",
    _isoformat,
    parse_date,
)
DATETIME_SCALAR = _strict_scalar(
    dt.datetime,
    "DateTime",
    "A timestamp, ISO 8601 extended format such as `2026-05-01T08:30:00+08:00` (时间).",
    _isoformat,
    parse_datetime,
)
DECIMAL_SCALAR = _strict_scalar(
    Decimal,
    "Decimal",
    'An exact decimal number as a string such as `"1234.50"` (no exponent) (定点小数).',
    str,
    parse_decimal,
)

SCALAR_OVERRIDES: dict[object, Any] = {
    dt.date: DATE_SCALAR,
    dt.datetime: DATETIME_SCALAR,
    Decimal: DECIMAL_SCALAR,
}
"""Passed to every service's schema (``ecosteward.schema.build_schema``)."""


# ----------------------------------------------------------------------------- text


@dataclass(frozen=True)
class TextRule:
    """How long a text may be and whether it may span lines."""

    max_length: int
    multiline: bool = False
    checked_in_domain: bool = False
    """The service's domain rules check the length (with every other violation, VALIDATION_FAILED)."""


DEFAULT_TEXT_RULE = TextRule(max_length=1000)
"""Any ``String`` input without a rule of its own (the global limit)."""

_NAME, _LINE, _CODE, _LONG = TextRule(200), TextRule(500), TextRule(100), TextRule(2000, multiline=True)

TEXT_RULES: dict[str, TextRule] = {
    # names and titles (名称、标题)
    "name": _NAME,
    "nameEn": _NAME,
    "contactName": _NAME,
    "title": _NAME,
    "topic": _NAME,
    "specialty": _NAME,
    "source": _NAME,
    "requestedBy": _NAME,
    "rating": _NAME,
    "kind": _NAME,
    "period": _NAME,
    "search": _NAME,
    # codes and identifiers (编码)
    "code": _CODE,
    "creditCode": _CODE,
    "industryCode": _CODE,
    "itemCode": _CODE,
    "catalogueCodes": _CODE,
    "annex": _CODE,
    "reference": _CODE,
    "sha256": _CODE,
    "username": _CODE,
    "adminUsername": _CODE,
    "contactPhone": TextRule(50),
    "after": TextRule(200),
    # one-line text
    "address": _LINE,
    "email": TextRule(254),
    "adminEmail": TextRule(254),
    "url": TextRule(2000),
    # free text, several lines allowed (事由、说明、备注)
    "reason": _LONG,
    "missingReason": _LONG,
    "note": _LONG,
    "description": _LONG,
    "summary": _LONG,
    "legalBasis": _LONG,
    "qualifications": _LONG,
    # limits the services' domain rules already enforce, documented here too
    "RecordEnterpriseFactInput.reference": TextRule(120, checked_in_domain=True),
    "RecordEnterpriseFactInput.description": TextRule(4000, multiline=True, checked_in_domain=True),
    "SetEnterpriseStandingAttributesInput.note": TextRule(4000, multiline=True, checked_in_domain=True),
    "SetRiskLabelsInput.reason": TextRule(4000, multiline=True, checked_in_domain=True),
    "withdrawEnterpriseFact.reason": TextRule(4000, multiline=True, checked_in_domain=True),
    "withdrawDocumentVersion.reason": TextRule(2000, multiline=True, checked_in_domain=True),
    "SetArchiveItemStateInput.missingReason": TextRule(2000, multiline=True, checked_in_domain=True),
    "RecordInspectionInput.summary": TextRule(4000, multiline=True, checked_in_domain=True),
    "RecordFindingInput.description": TextRule(4000, multiline=True, checked_in_domain=True),
    "RecordFindingInput.legalBasis": TextRule(1000, multiline=True, checked_in_domain=True),
    "SubmitReportInput.summary": TextRule(20000, multiline=True, checked_in_domain=True),
}
"""Per-field rules by GraphQL name. ``Type.field`` (input fields) and ``mutation.argument`` keys win over
plain names."""


def text_rule(field: str, owner: str | None = None) -> TextRule:
    if owner is not None:
        rule = TEXT_RULES.get(f"{owner}.{field}")
        if rule is not None:
            return rule
    return TEXT_RULES.get(field, DEFAULT_TEXT_RULE)


_ALLOWED_IN_MULTILINE = frozenset("\n\t")


def forbidden_character(text: str, multiline: bool) -> str | None:
    """The first character not allowed in ``text``, or None.

    Refused: control characters (Cc; newline and tab allowed in multi-line text), format characters
    (Cf: bidi embeddings/overrides/isolates, zero-width space/joiners, BOM, soft hyphen), line and
    paragraph separators (Zl, Zp) and lone surrogates (Cs).
    """
    for char in text:
        if char.isprintable() and char not in "\u2028\u2029":
            continue  # the common case, checked in C
        if multiline and char in _ALLOWED_IN_MULTILINE:
            continue
        if char == " ":
            continue
        category = unicodedata.category(char)
        if category in {"Cc", "Cf", "Cs", "Zl", "Zp"}:
            return char
    return None


def clean_text(value: str, rule: TextRule) -> str:
    """``value`` trimmed, or :class:`InputRejected` when it breaks ``rule``."""
    if rule.multiline:
        value = value.replace("\r\n", "\n")
    text = value.strip()
    bad = forbidden_character(text, rule.multiline)
    if bad is not None:
        raise InputRejected(
            f"contains the forbidden character U+{ord(bad):04X} {unicodedata.name(bad, 'control')}"
            " (含有不允许的字符)"
        )
    if len(text) > rule.max_length and not rule.checked_in_domain:
        raise InputRejected(
            f"is {len(text)} characters long; at most {rule.max_length} are allowed"
            f" (长度不得超过 {rule.max_length} 个字符)"
        )
    return text


def _limit_note(rule: TextRule) -> str:
    lines = "" if rule.multiline else ", one line"
    return f"At most {rule.max_length} characters{lines} (最多 {rule.max_length} 字)."


def _is_text(type_: GraphQLInputType) -> bool:
    named = get_named_type(type_)
    return isinstance(named, GraphQLScalarType) and named.name == "String"


def document_text_limits(schema: GraphQLSchema) -> None:
    """Append each text input's limit to its description, so the schema documents it."""

    def note(target: GraphQLArgument | Any, name: str, owner: str | None) -> None:
        extra = _limit_note(text_rule(name, owner))
        description = (target.description or "").rstrip()
        if extra not in description:
            target.description = f"{description} {extra}".strip()

    for type_name, type_ in schema.type_map.items():
        if type_name.startswith("__"):
            continue
        if isinstance(type_, GraphQLInputObjectType):
            for name, input_field in type_.fields.items():
                if _is_text(input_field.type):
                    note(input_field, name, type_name)
        fields = getattr(type_, "fields", None)
        if fields is None or isinstance(type_, GraphQLInputObjectType):
            continue
        for field_name, field_def in fields.items():
            for name, argument in field_def.args.items():
                if _is_text(argument.type) and name != "after":  # opaque cursors need no note
                    note(argument, name, field_name)


# ----------------------------------------------------------------------------- the walk


def _path_text(path: list[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def rejected(path: list[str | int], reason: str) -> BadUserInput:
    where = _path_text(path)
    return BadUserInput(f"`{where}` {reason}", argumentName=where, field=where)


class _Checker:
    """Checks (and trims) one operation's argument values: literals and variables."""

    def __init__(self, variables: dict[str, Any] | None, definitions: dict[str, VariableDefinitionNode]):
        self.variables = variables if variables is not None else {}
        self.definitions = definitions
        self.errors: list[BadUserInput] = []
        self.literal_edits: dict[int, str] = {}
        self.seen_variables: set[str] = set()

    # -- literals in the document
    def literal(
        self, node: ValueNode, type_: GraphQLInputType, path: list[str | int], owner: str | None
    ) -> None:
        if isinstance(node, VariableNode):
            self.variable(node.name.value, type_, path, owner)
            return
        if isinstance(node, NullValueNode):
            return
        if isinstance(type_, GraphQLNonNull):
            self.literal(node, type_.of_type, path, owner)
        elif isinstance(type_, GraphQLList):
            if isinstance(node, ListValueNode):
                for i, item in enumerate(node.values):
                    self.literal(item, type_.of_type, [*path, i], owner)
            else:
                self.literal(node, type_.of_type, path, owner)
        elif isinstance(type_, GraphQLInputObjectType):
            if isinstance(node, ObjectValueNode):
                for field_node in node.fields:
                    name = field_node.name.value
                    input_field = type_.fields.get(name)
                    if input_field is not None:
                        self.literal(field_node.value, input_field.type, [*path, name], type_.name)
        elif _is_text(type_) and isinstance(node, StringValueNode):
            try:
                cleaned = clean_text(node.value, text_rule(str(path[-1]), owner))
            except InputRejected as exc:
                self.errors.append(rejected(path, str(exc)))
                return
            if cleaned != node.value:
                self.literal_edits[id(node)] = cleaned
        # other literals are checked by graphql-core's validation (ValuesOfCorrectType)

    # -- variables (raw JSON values)
    def variable(self, name: str, type_: GraphQLInputType, path: list[str | int], owner: str | None) -> None:
        if name in self.variables:
            if name in self.seen_variables:
                return  # checked (and trimmed) at its first use
            self.seen_variables.add(name)
            self.value(self.variables, name, type_, path, owner)
            return
        definition = self.definitions.get(name)
        if definition is not None and definition.default_value is not None:
            self.literal(definition.default_value, type_, path, owner)

    def value(
        self,
        container: dict[str, Any] | list[Any],
        key: Any,
        type_: GraphQLInputType,
        path: list[str | int],
        owner: str | None,
    ) -> None:
        raw = container[key]
        if raw is None:
            return
        if isinstance(type_, GraphQLNonNull):
            self.value(container, key, type_.of_type, path, owner)
        elif isinstance(type_, GraphQLList):
            if isinstance(raw, list):
                for i in range(len(raw)):
                    self.value(raw, i, type_.of_type, [*path, i], owner)
            else:
                self.value(container, key, type_.of_type, path, owner)
        elif isinstance(type_, GraphQLInputObjectType):
            if isinstance(raw, dict):
                for name, input_field in type_.fields.items():
                    if name in raw:
                        self.value(raw, name, input_field.type, [*path, name], type_.name)
            # a non-object is reported by graphql-core's coercion (then mapped to BAD_USER_INPUT)
        elif _is_text(type_):
            if isinstance(raw, str):
                try:
                    container[key] = clean_text(raw, text_rule(str(_last_name(path)), owner))
                except InputRejected as exc:
                    self.errors.append(rejected(path, str(exc)))
            else:
                self.errors.append(rejected(path, f"must be a string, not {_show(raw)} (应为文本)"))
        elif isinstance(type_, (GraphQLScalarType, GraphQLEnumType)):
            try:
                type_.coerce_input_value(raw)
            except InputRejected as exc:
                self.errors.append(rejected(path, f"is not accepted: {exc}"))
            except Exception as exc:  # graphql-core's and strawberry's own scalar errors
                detail = exc.message if isinstance(exc, GraphQLError) else str(exc)
                self.errors.append(rejected(path, f"is not a valid {type_.name}: {detail} (输入值无效)"))


def _last_name(path: list[str | int]) -> str:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return ""


def _walk(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode | None,
    parent: GraphQLNamedType | None,
    checker: _Checker,
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[str],
) -> None:
    """Check the arguments of every field and directive under ``selection_set`` (fragments once)."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        for directive_node in selection.directives or ():
            directive = schema.get_directive(directive_node.name.value)
            for arg_node in directive_node.arguments or ():
                arg = directive.args.get(arg_node.name.value) if directive else None
                if arg is not None:
                    checker.literal(arg_node.value, arg.type, [arg_node.name.value], None)
        if isinstance(selection, FieldNode):
            name = selection.name.value
            fields = getattr(parent, "fields", None)
            field_def = fields.get(name) if fields is not None else None
            if field_def is None:
                continue  # __typename and introspection: nothing of ours
            for arg_node in selection.arguments or ():
                arg = field_def.args.get(arg_node.name.value)
                if arg is not None:
                    checker.literal(arg_node.value, arg.type, [arg_node.name.value], name)
            _walk(schema, selection.selection_set, get_named_type(field_def.type), checker, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            inner = schema.get_type(condition.name.value) if condition is not None else parent
            _walk(schema, selection.selection_set, inner, checker, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:
                continue
            seen.add(name)
            inner = schema.get_type(fragment.type_condition.name.value)
            _walk(schema, fragment.selection_set, inner, checker, fragments, seen)


def check_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> tuple[list[BadUserInput], DocumentNode]:
    """Check every argument of the operation; returns the errors and the (trimmed) document.

    ``variables`` is cleaned in place (text trimmed) so graphql-core coerces the cleaned values.
    """
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return [], document
    definitions = {d.variable.name.value: d for d in operation.variable_definitions or ()}
    checker = _Checker(variables, definitions)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root = schema.get_root_type(operation.operation)
    _walk(schema, operation.selection_set, root, checker, fragments, set())
    if not checker.literal_edits:
        return checker.errors, document
    edits = checker.literal_edits

    class Trim(Visitor):
        def enter_string_value(self, node: StringValueNode, *_: Any) -> StringValueNode | None:
            if id(node) in edits:
                return StringValueNode(value=edits[id(node)], block=node.block, loc=node.loc)
            return None

    return checker.errors, visit(document, Trim())


def _argument_path(document: DocumentNode | None, hit: Callable[[ValueNode], bool]) -> str | None:
    """The argument path (``start``, ``filter.from``, ``ids[2]``) of the first value node that ``hit``s."""
    if document is None:
        return None
    found: list[str] = []

    def search(node: ValueNode, path: list[str | int]) -> None:
        if found:
            return
        if hit(node):
            found.append(_path_text(path))
        elif isinstance(node, ObjectValueNode):
            for field_node in node.fields:
                search(field_node.value, [*path, field_node.name.value])
        elif isinstance(node, ListValueNode):
            for i, item in enumerate(node.values):
                search(item, [*path, i])

    class Finder(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            search(node.value, [node.name.value])

    visit(document, Finder())
    return found[0] if found else None


def argument_path_of_variable(document: DocumentNode | None, name: str) -> str | None:
    """Where ``$name`` is first used, for error messages."""
    return _argument_path(document, lambda node: isinstance(node, VariableNode) and node.name.value == name)


def argument_path_of_value(document: DocumentNode | None, target: ValueNode) -> str | None:
    """The argument path of a literal value node (found by identity)."""
    return _argument_path(document, lambda node: node is target)

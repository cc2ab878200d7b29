"""Check response bodies against the official Swagger specifications, strictly.

jsonschema does not speak Swagger 2.0 with Azure's extensions (x-nullable, x-ms-enum, cross-file
$refs, allOf inheritance), so this walks the schemas itself: types, enums (unless modelAsString),
required members, formats (date-time, uuid), and - the point - no member the spec does not declare.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

SPEC_ROOT = Path(__file__).parent / "specs" / "specification"
Schema = dict[str, Any]


@dataclass(frozen=True)
class Operation:
    file: Path
    method: str
    template: str
    regex: re.Pattern[str]
    spec: dict[str, Any]
    api_version: str
    data_plane: bool

    @property
    def operation_id(self) -> str:
        return self.spec.get("operationId", "")


class SpecIndex:
    def __init__(self, root: Path = SPEC_ROOT) -> None:
        self.root = root
        self.docs: dict[Path, dict[str, Any]] = {}
        self.operations: list[Operation] = []
        for path in sorted(root.rglob("*.json")):
            if "examples" not in path.parts:
                self.docs[path.resolve()] = json.loads(path.read_text())
        for path, doc in self.docs.items():  # parameters may $ref other files: index once all are loaded
            self._index(path, doc)

    def _index(self, path: Path, doc: dict[str, Any]) -> None:
        version = doc.get("info", {}).get("version", "")
        data_plane = "data-plane" in path.parts
        for template, ops in doc.get("paths", {}).items():
            params = ops.get("parameters", [])
            for method, spec in ops.items():
                if method == "parameters":
                    continue
                resolved = [self.resolve(p, path)[0] for p in params + spec.get("parameters", [])]
                regex = _template_regex(template, resolved)
                self.operations.append(Operation(path, method.upper(), template, regex, spec, version, data_plane))

    def find(self, method: str, host: str, path: str, api_version: str | None) -> Operation | None:
        data_plane = ".vault." in host
        candidates = [
            op
            for op in self.operations
            if op.method == method
            and op.data_plane == data_plane
            and op.api_version == api_version
            # "/keys/k/" is GetKey with an empty version; "/subscriptions/s/" is the same as without the slash.
            and (op.regex.fullmatch(path) or op.regex.fullmatch(path.rstrip("/") or "/"))
        ]
        # The most specific template wins: /{scope}/... and /{roleAssignmentId} match nearly anything.
        candidates.sort(key=lambda op: -len(re.sub(r"\{[^}]+\}", "", op.template)))
        return candidates[0] if candidates else None

    # Schemas -----------------------------------------------------------------------------------
    def resolve(self, schema: Schema, file: Path) -> tuple[Schema, Path]:
        seen = 0
        while "$ref" in schema:
            ref = schema["$ref"]
            target, _, pointer = ref.partition("#")
            file = (file.parent / target).resolve() if target else file
            node: Any = self.docs[file]
            for part in pointer.strip("/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            schema, seen = node, seen + 1
            assert seen < 50, f"$ref loop at {ref}"
        return schema, file

    def response_schema(self, op: Operation, status: int) -> tuple[Schema | None, Path]:
        responses = op.spec.get("responses", {})
        entry = responses.get(str(status)) or (responses.get("default") if status >= 400 else None)
        if entry is None:
            raise AssertionError(f"{op.operation_id}: status {status} is not a declared response")
        entry, file = self.resolve(entry, op.file)
        return entry.get("schema"), file


def _template_regex(template: str, params: list[dict[str, Any]]) -> re.Pattern[str]:
    """Path parameters marked x-ms-skip-url-encoding (ARM scopes, full ids) may span segments."""
    skip_encoding = {p.get("name") for p in params if p.get("x-ms-skip-url-encoding")}
    pieces = re.split(r"(\{[^}]+\})", template.rstrip("/"))
    pattern = ""
    for piece in pieces:
        if piece.startswith("{"):
            pattern += "(.+)" if piece.strip("{}") in skip_encoding else "([^/]*)"
        else:
            pattern += re.escape(piece)
    return re.compile(pattern, re.IGNORECASE)


@dataclass
class _Object:
    properties: dict[str, tuple[Schema, Path]]
    required: set[str]
    additional: Any  # None (closed), True, or (schema, file)


class Validator:
    def __init__(self, index: SpecIndex) -> None:
        self.index = index

    def validate(self, instance: Any, schema: Schema, file: Path) -> list[str]:
        errors: list[str] = []
        self._check(instance, schema, file, "$", errors)
        return errors

    def _check(self, inst: Any, schema: Schema, file: Path, where: str, errors: list[str]) -> None:
        schema, file = self.index.resolve(schema, file)
        if inst is None:
            if not schema.get("x-nullable"):
                errors.append(f"{where}: null is not allowed")
            return
        kind = schema.get("type") or ("object" if "properties" in schema or "allOf" in schema else None)
        if kind == "object" and not {"properties", "allOf", "additionalProperties"} & set(schema):
            return  # a bare "type: object" is any JSON value (autorest's AnyObject): Resource Graph's data, rows
        checker = {
            "object": self._object,
            "array": self._array,
            "string": self._string,
            "integer": self._integer,
            "number": self._number,
            "boolean": self._boolean,
        }.get(kind or "")
        if checker is not None:
            checker(inst, schema, file, where, errors)

    def _merge(self, schema: Schema, file: Path) -> _Object:
        schema, file = self.index.resolve(schema, file)
        merged = _Object({}, set(schema.get("required", [])), None)
        for parent in schema.get("allOf", []):
            inherited = self._merge(parent, file)
            merged.properties.update(inherited.properties)
            merged.required |= inherited.required
            merged.additional = merged.additional or inherited.additional
        for name, sub in schema.get("properties", {}).items():
            merged.properties[name] = (sub, file)
        extra = schema.get("additionalProperties")
        if extra is True or extra == {}:
            merged.additional = True
        elif isinstance(extra, dict):
            merged.additional = (extra, file)
        elif extra is None and not merged.properties and not schema.get("allOf"):
            merged.additional = True  # a free-form object
        return merged

    def _object(self, inst: Any, schema: Schema, file: Path, where: str, errors: list[str]) -> None:
        if not isinstance(inst, dict):
            errors.append(f"{where}: expected an object, got {type(inst).__name__}")
            return
        shape = self._merge(schema, file)
        for name in sorted(shape.required - set(inst)):
            errors.append(f"{where}: required member {name!r} is missing")
        for name, value in inst.items():
            if name in shape.properties:
                sub, sub_file = shape.properties[name]
                self._check(value, sub, sub_file, f"{where}.{name}", errors)
            elif isinstance(shape.additional, tuple):
                self._check(value, shape.additional[0], shape.additional[1], f"{where}.{name}", errors)
            elif shape.additional is not True:
                errors.append(f"{where}: member {name!r} is not declared by the spec")

    def _array(self, inst: Any, schema: Schema, file: Path, where: str, errors: list[str]) -> None:
        if not isinstance(inst, list):
            errors.append(f"{where}: expected an array, got {type(inst).__name__}")
            return
        for i, item in enumerate(inst):
            self._check(item, schema.get("items", {}), file, f"{where}[{i}]", errors)

    def _string(self, inst: Any, schema: Schema, file: Path, where: str, errors: list[str]) -> None:
        if not isinstance(inst, str):
            errors.append(f"{where}: expected a string, got {type(inst).__name__}")
            return
        enum = schema.get("enum")
        open_enum = (schema.get("x-ms-enum") or {}).get("modelAsString", False)
        if enum and not open_enum and inst not in enum:
            errors.append(f"{where}: {inst!r} is not one of {enum}")
        fmt = schema.get("format")
        if fmt == "date-time" and not _is_datetime(inst):
            errors.append(f"{where}: {inst!r} is not a date-time")
        if fmt == "uuid" and not _is_uuid(inst):
            errors.append(f"{where}: {inst!r} is not a uuid")

    def _integer(self, inst: Any, schema: Schema, file: Path, where: str, errors: list[str]) -> None:
        if not isinstance(inst, int) or isinstance(inst, bool):
            errors.append(f"{where}: expected an integer, got {inst!r}")

    def _number(self, inst: Any, schema: Schema, file: Path, where: str, errors: list[str]) -> None:
        if not isinstance(inst, (int, float)) or isinstance(inst, bool):
            errors.append(f"{where}: expected a number, got {inst!r}")

    def _boolean(self, inst: Any, schema: Schema, file: Path, where: str, errors: list[str]) -> None:
        if not isinstance(inst, bool):
            errors.append(f"{where}: expected a boolean, got {inst!r}")


def _is_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True

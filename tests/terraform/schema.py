"""Rebuild `terraform providers schema -json` from a cdktf binding's bundled jsii tarball.

A prebuilt cdktf binding (cdktf-cdktf-provider-aws and friends) is generated from the
provider's schema, and its tarball (`<module>/_jsii/*.jsii.tgz`) keeps what Terraform core
needs of it, in machine-written JavaScript and TypeScript that always has the same shape:

- `function xToHclTerraform(struct)` and a resource's `synthesizeHclAttributes()` list every
  argument the configuration may set, with `isBlock`, `type` (simple, list, set, map,
  struct) and `storageClassType` (string, stringList, ..., or the nested struct's class);
- the resource class and each nested `XOutputReference` class have a getter per attribute:
  a getter without setter is computed-only, and its body names the attribute and its type
  (`getStringAttribute('arn')`, `cdktf.Fn.tolist(getListAttribute(..))` for a set, ...);
- the `.d.ts` interfaces mark each argument optional (`name?:`) or required;
- complex attributes carry a comment `// name - computed: ., optional: ., required: .`,
  which tells a block from an attribute (a block is never computed);
- `super(resource, attribute, false, 0)` in an `XOutputReference` marks a list block of at
  most one element, and its absence a single nested block.

What the bindings do not keep: whether an optional attribute is also computed (it is taken
to be, so an unset one plans as unknown rather than null), `sensitive`, descriptions,
schema versions, and the real provider's own validation of values.
"""

from __future__ import annotations

import json
import re
import tarfile
from dataclasses import dataclass, field
from importlib.metadata import version as dist_version
from importlib.util import find_spec
from pathlib import Path

# The bindings gen pins, by Terraform provider source address.
BINDINGS = {
    "registry.terraform.io/hashicorp/aws": "cdktf_cdktf_provider_aws",
    "registry.terraform.io/hashicorp/google": "cdktf_cdktf_provider_google",
    "registry.terraform.io/kreuzwerker/docker": "cdktf_cdktf_provider_docker",
}

_FLAGS = r"// (\S+) - computed: (true|false), optional: (true|false), required: (true|false)"
_CLASS = ("\nclass ", re.compile(r"(\w+) extends ([\w.]+) \{\n"))
_HCL_FUNCTION = ("\nfunction ", re.compile(r"(\w+)ToHclTerraform\(struct\) \{\n"))
_HCL_ENTRY = re.compile(
    r'\{\n +value: (.*),\n +isBlock: (true|false),\n'
    r' +type: "(\w+)",\n +storageClassType: "(\w+)",')
_HCL_NAME = re.compile(r'"?([^":\s]+)"?: $')
_GETTER = re.compile(r"\n    get (\w+)\(\) \{\n        return (.+?);\n    \}(?=\n)")
_SETTER = re.compile(r"\n    set (\w+)\(value\) \{(?=\n)")
_NEW = re.compile(r"\n        " + _FLAGS + r"\n        this\._(\w+) = new (?:[\w$]+\.)*(\w+)"
                  r'\(this, "([^"]+)"(?:, (true|false))?\);(?=\n)')
_TYPE_NAME = re.compile(r'\n(\w+)\.tfResourceType = "([^"]+)";(?=\n)')
_INTERFACE = ("\nexport interface ", re.compile(r"(\w+)(?: extends [\w.]+)? \{\n"))
_PROPERTY = re.compile(r"\n    readonly (\w+)(\??): (.+);(?=\n)")

_PRIMITIVE = {"string": "string", "number": "number", "boolean": "bool", "any": "dynamic"}
_GETTER_TYPES = [  # (pattern of a computed getter's body, its type); first match wins
    (r"^this\.getStringAttribute\('", "string"),
    (r"^this\.getNumberAttribute\('", "number"),
    (r"^this\.getBooleanAttribute\('", "bool"),
    (r"^cdktf\.Fn\.tolist\(this\.getListAttribute\('", ["set", "string"]),
    (r"^this\.getListAttribute\('", ["list", "string"]),
    (r"^cdktf\.Token\.asNumberList\(cdktf\.Fn\.tolist\(this\.getNumberListAttribute\('",
     ["set", "number"]),
    (r"^this\.getNumberListAttribute\('", ["list", "number"]),
    (r"^this\.getStringMapAttribute\('", ["map", "string"]),
    (r"^this\.getNumberMapAttribute\('", ["map", "number"]),
    (r"^this\.getBooleanMapAttribute\('", ["map", "bool"]),
    (r"interpolationForAttribute\('", "dynamic"),
]
_GETTER_TYPES = [(re.compile(p), t) for p, t in _GETTER_TYPES]
_GETTER_NAME = re.compile(r"Attribute\('([^']+)'\)")
_MAP_CLASSES = {"StringMap": ["map", "string"], "NumberMap": ["map", "number"],
                "BooleanMap": ["map", "bool"], "AnyMap": ["map", "dynamic"]}


@dataclass
class _Class:
    base: str
    getters: dict = field(default_factory=dict)       # camel -> return expression
    setters: set = field(default_factory=set)
    news: dict = field(default_factory=dict)          # camel field -> (tf name, class, wraps set, flags)
    hcl: list | None = None                           # synthesizeHclAttributes entries
    one_of_list: bool = False                         # OutputReference of a list with max one


@dataclass
class _Folder:
    hcl: dict = field(default_factory=dict)           # struct -> entries
    classes: dict = field(default_factory=dict)
    interfaces: dict = field(default_factory=dict)    # name -> {camel: (optional, many)}
    type_names: dict = field(default_factory=dict)    # class -> terraform type name


def _bodies(text: str, starts: tuple[str, re.Pattern]):
    """(match, body) of each top-level definition that starts a line with starts[0]."""
    prefix, pattern = starts
    at = text.find(prefix)
    while at >= 0:
        match = pattern.match(text, at + len(prefix))
        at = text.find(prefix, at + len(prefix))
        if match:
            end = text.find("\n}\n", match.end())
            yield match, text[match.end() - 1: end + 1 if end >= 0 else len(text)]


def _hcl_entries(body: str) -> list[tuple]:
    entries = []
    for match in _HCL_ENTRY.finditer(body):
        value, is_block, kind, storage = match.groups()
        line = body[body.rfind("\n", 0, match.start()) + 1: match.start()]
        name = _HCL_NAME.search(line).group(1)
        camels = re.findall(r"(?:struct\.|this\._)(\w+)", value)
        entries.append((name, camels[-1] if camels else None, is_block == "true", kind, storage))
    return entries


def _flags(match_groups) -> tuple[bool, bool, bool]:
    return tuple(g == "true" for g in match_groups)


def _read_js(folder: _Folder, text: str) -> None:
    for match, body in _bodies(text, _HCL_FUNCTION):
        name = match.group(1)
        folder.hcl[name[0].upper() + name[1:]] = _hcl_entries(body)
    for match, body in _bodies(text, _CLASS):
        cls = _Class(base=match.group(2))
        cls.getters = dict(_GETTER.findall(body))
        cls.setters = set(_SETTER.findall(body))
        for _, c, o, r, camel, ctor, name, wraps in _NEW.findall(body):
            cls.news[camel] = (name, ctor, wraps == "true", _flags((c, o, r)))
        cls.one_of_list = "super(terraformResource, terraformAttribute, false, 0);" in body
        start = body.find("    synthesizeHclAttributes() {")
        if start >= 0:
            cls.hcl = _hcl_entries(body[start: body.find("\n    }\n", start)])
        folder.classes[match.group(1)] = cls
    folder.type_names.update(_TYPE_NAME.findall(text))


def _read_dts(folder: _Folder, text: str) -> None:
    for match, body in _bodies(text, _INTERFACE):
        folder.interfaces[match.group(1)] = {c: (q == "?", "[]" in t) for c, q, t in _PROPERTY.findall(body)}


def _object_type(block: dict) -> list:
    """The type of an attribute whose value has the shape of `block`."""
    fields = {n: a["type"] for n, a in block.get("attributes", {}).items()}
    for n, nested in block.get("block_types", {}).items():
        inner = _object_type(nested["block"])
        fields[n] = inner if nested["nesting_mode"] == "single" else [nested["nesting_mode"], inner]
    return ["object", dict(sorted(fields.items()))]


def _struct_of(storage: str) -> str:
    return re.sub(r"(List|OutputReference|Map)$", "", storage)


class _Builder:
    """Turns one folder (one resource, data source or provider) into schema blocks."""

    def __init__(self, folder: _Folder):
        self.folder = folder
        self.structs: dict[str, dict] = {}

    def block(self, hcl: list, interface: dict, cls: _Class | None) -> dict:
        attributes, blocks = {}, {}
        news_by_name = {n[0]: n for n in cls.news.values()} if cls else {}
        configurable = set()
        for name, camel, is_block, kind, storage in hcl:
            configurable.add(name)
            optional, many = interface.get(camel, (True, True))
            required = camel is not None and not optional
            complex_ = storage not in _PRIMITIVE and not storage[0].islower()
            new = news_by_name.get(name)
            computed = bool(new and new[3][0])
            if is_block and complex_ and not computed:
                blocks[name] = self.nested_block(kind, storage, required, many)
                continue
            attribute = {"type": self.hcl_type(kind, storage)}
            if required:
                attribute["required"] = True
            else:
                # cdktf does not say whether an optional simple attribute is also computed:
                # taken to be (it plans unknown, not null); complex ones carry the flag.
                attribute["optional"] = True
                if computed or not complex_:
                    attribute["computed"] = True
            attributes[name] = attribute
        for camel, expr in (cls.getters.items() if cls else ()):
            if camel in cls.setters or camel == "internalValue" or expr.endswith(".internalValue"):
                continue
            if camel.endswith("Input") and camel[:-5] in cls.getters:
                continue
            found = self.computed_type(cls, expr)
            if found and found[0] not in configurable and found[0] not in attributes:
                attributes[found[0]] = {"type": found[1], "computed": True}
        result = {}
        if attributes:
            result["attributes"] = dict(sorted(attributes.items()))
        if blocks:
            result["block_types"] = dict(sorted(blocks.items()))
        return result

    def struct_block(self, struct: str) -> dict:
        if struct not in self.structs:
            self.structs[struct] = self._struct_block(struct)
        return self.structs[struct]

    def _struct_block(self, struct: str) -> dict:
        return self.block(self.folder.hcl.get(struct, []), self.folder.interfaces.get(struct, {}),
                          self.folder.classes.get(struct + "OutputReference"))

    def nested_block(self, kind: str, storage: str, required: bool, many: bool) -> dict:
        block = self.struct_block(_struct_of(storage))
        if kind == "set" and "dynamic" in json.dumps(block):
            # Terraform refuses a set of blocks with a dynamically typed attribute. Only the
            # wafv2 rules have one: a statement nested deeper than cdktf spells out, given
            # to cdktf as `any`. A list of the same blocks takes the same configuration.
            kind = "list"
        nested = {"nesting_mode": "single" if kind == "struct" else kind, "block": block}
        if kind in ("list", "set"):
            if required:
                nested["min_items"] = 1
            if not many:
                nested["max_items"] = 1
        return nested

    def object_type(self, struct: str) -> list:
        return _object_type(self.struct_block(struct))

    def hcl_type(self, kind: str, storage: str) -> object:
        if storage in _PRIMITIVE:
            return _PRIMITIVE[storage]
        if storage[0].islower():  # stringList, numberMap, stringMapList, stringListList ...
            parts = re.findall(r"[a-z]+|[A-Z][a-z]*", storage)
            inner = _PRIMITIVE[parts[0]]
            for part in parts[1:-1]:
                inner = [part.lower(), inner]
            outer = parts[-1].lower()
            return [kind if outer == "list" and kind in ("list", "set") else outer, inner]
        element = self.object_type(_struct_of(storage))
        return element if kind == "struct" else [kind, element]

    def computed_type(self, cls: _Class, expr: str):
        """(terraform name, type) of a computed-only getter, or None when it is not one."""
        if expr.startswith("this._"):
            new = cls.news.get(expr[len("this._"):])
            if new is None:
                return None
            name, ctor, wraps, _ = new
            if ctor in _MAP_CLASSES:
                return name, _MAP_CLASSES[ctor]
            if ctor == "StringMapList":
                return name, ["set" if wraps else "list", ["map", "string"]]
            struct = _struct_of(ctor)
            element = self.object_type(struct)
            if ctor.endswith("List"):
                return name, ["set" if wraps else "list", element]
            if ctor.endswith("Map"):
                return name, ["map", element]
            reference = self.folder.classes.get(struct + "OutputReference")
            return name, (["list", element] if reference is not None and reference.one_of_list else element)
        names = _GETTER_NAME.findall(expr)
        if not names:
            return None
        for pattern, type_ in _GETTER_TYPES:
            if pattern.search(expr):
                return names[0], type_
        return None

    def schemas(self):
        """Yield (kind, terraform name, schema) for the folder's resource, data source or provider."""
        for cls_name, type_name in self.folder.type_names.items():
            cls = self.folder.classes[cls_name]
            kind = {"cdktf.TerraformResource": "resource", "cdktf.TerraformDataSource": "data",
                    "cdktf.TerraformProvider": "provider"}.get(cls.base)
            if kind is None or cls.hcl is None:
                continue
            hcl = [e for e in cls.hcl if not (kind == "provider" and e[0] == "alias")]
            block = self.block(hcl, self.folder.interfaces.get(cls_name + "Config", {}), cls)
            yield kind, type_name, {"version": 0, "block": block}


def rebuild(module: str) -> dict:
    """The `terraform providers schema -json` document for one binding package (e.g. cdktf_cdktf_provider_aws)."""
    tarball = _tarball(module)
    folders: dict[str, _Folder] = {}
    package = None
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            parts = member.name.split("/")
            if member.name == "package/package.json":
                package = json.load(archive.extractfile(member))
            if len(parts) != 4 or parts[1] != "lib" or not member.isfile():
                continue
            folder = folders.setdefault(parts[2], _Folder())
            if parts[3].endswith(".d.ts"):
                _read_dts(folder, archive.extractfile(member).read().decode("utf-8"))
            elif parts[3].endswith(".js"):
                _read_js(folder, archive.extractfile(member).read().decode("utf-8"))
    source = package["cdktf"]["provider"]["name"]
    found = {"provider": None, "resource": {}, "data": {}}
    for name in sorted(folders):
        for kind, type_name, schema in _Builder(folders[name]).schemas():
            if kind == "provider":
                found["provider"] = schema
            else:
                found[kind][type_name] = schema
    provider = {
        "provider": found["provider"],
        "resource_schemas": dict(sorted(found["resource"].items())),
        "data_source_schemas": dict(sorted(found["data"].items())),
    }
    return {"format_version": "1.0", "provider_schemas": {source: provider},
            "provider_version": package["cdktf"]["provider"]["version"]}


def _tarball(module: str) -> Path:
    spec = find_spec(module)
    if spec is None or spec.origin is None:
        raise LookupError(f"the binding {module} is not installed")
    found = sorted((Path(spec.origin).parent / "_jsii").glob("*.jsii.tgz"))
    if not found:
        raise LookupError(f"{module} has no bundled jsii tarball")
    return found[0]


def binding_version(module: str) -> str:
    return dist_version(module.replace("_", "-"))

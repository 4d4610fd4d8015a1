"""Swagger 2.0 documents rewritten in the OpenAPI 3 shape discovery reads.

Only what discovery uses is carried over: paths (with ``basePath`` in front), request
bodies (``in: body`` and ``in: formData`` parameters, by ``consumes``), security schemes
(an ``apiKey`` named ``Authorization`` is read as a bearer token) and requirements, and
schemas (``#/definitions/...`` references become ``#/components/schemas/...``).
A document is data from the target: every walk over it is bounded, so a document built
to explode (YAML aliases nesting one node many times) is refused instead of expanded.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

__all__ = ["MAX_NODES", "SpecTooLarge", "is_swagger2", "to_openapi3"]

# Nodes visited when rewriting references; real documents of thousands of operations stay
# well below it.
MAX_NODES = 500_000
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
FORM_MEDIA = ("application/x-www-form-urlencoded", "multipart/form-data")
REF_PREFIXES = {"#/definitions/": "#/components/schemas/",
                "#/parameters/": "#/components/parameters/",
                "#/responses/": "#/components/responses/"}
OAUTH_FLOWS = {"password": "password", "implicit": "implicit",
               "application": "clientCredentials", "accessCode": "authorizationCode"}


class SpecTooLarge(ValueError):
    """The document has more nodes than discovery walks: it is not read."""


def is_swagger2(doc: dict[str, Any]) -> bool:
    return str(doc.get("swagger", "")).startswith("2")


class _Walker:
    def __init__(self) -> None:
        self.left = MAX_NODES

    def rewrite(self, node: Any) -> Any:
        """A copy of ``node`` with Swagger 2 references pointing at OpenAPI 3 places."""
        self.left -= 1
        if self.left < 0:
            raise SpecTooLarge(f"the API document has more than {MAX_NODES} nodes")
        if isinstance(node, dict):
            out = {str(k): self.rewrite(v) for k, v in node.items()}
            ref = out.get("$ref")
            if isinstance(ref, str):
                for old, new in REF_PREFIXES.items():
                    if ref.startswith(old):
                        out["$ref"] = new + ref.removeprefix(old)
            return out
        if isinstance(node, list):
            return [self.rewrite(v) for v in node]
        return node


def _parameter(doc: dict[str, Any], raw: Any) -> dict[str, Any]:
    """A parameter with a reference to the document's shared parameters followed (already
    rewritten to its OpenAPI 3 place)."""
    if isinstance(raw, dict) and isinstance(raw.get("$ref"), str):
        ref, prefix = str(raw["$ref"]), REF_PREFIXES["#/parameters/"]
        if ref.startswith(prefix):
            found = (doc.get("parameters") or {}).get(ref.removeprefix(prefix))
            return found if isinstance(found, dict) else {}
    return raw if isinstance(raw, dict) else {}


def _form_schema(params: list[dict[str, Any]]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required = []
    for param in params:
        name = str(param.get("name", ""))
        if not name:
            continue
        properties[name] = {k: v for k, v in param.items()
                            if k not in ("name", "in", "required", "description")}
        if param.get("required") is True:
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _request_body(doc: dict[str, Any], params: list[dict[str, Any]],
                  consumes: list[str]) -> dict[str, Any] | None:
    body = next((p for p in params if p.get("in") == "body"), None)
    form = [p for p in params if p.get("in") == "formData"]
    if body is not None:
        media = [m for m in consumes if m not in FORM_MEDIA] or ["application/json"]
        schema = body.get("schema") if isinstance(body.get("schema"), dict) else {}
        return {"required": body.get("required") is True,
                "content": {m: {"schema": schema} for m in media}}
    if form:
        media = [m for m in consumes if m in FORM_MEDIA] or [FORM_MEDIA[0]]
        return {"content": {m: {"schema": _form_schema(form)} for m in media}}
    return None


def _operation(doc: dict[str, Any], op: dict[str, Any],
               shared: list[dict[str, Any]]) -> dict[str, Any]:
    own = [_parameter(doc, p) for p in op.get("parameters") or []]
    names = {(p.get("name"), p.get("in")) for p in own}
    params = [p for p in shared if (p.get("name"), p.get("in")) not in names] + own
    consumes = op.get("consumes", doc.get("consumes")) or []
    out = {k: v for k, v in op.items() if k not in ("parameters", "consumes", "produces")}
    out["parameters"] = [p for p in params if p.get("in") not in ("body", "formData")]
    body = _request_body(doc, params, [str(m).split(";")[0].strip() for m in consumes])
    if body is not None:
        out["requestBody"] = body
    return out


def _security_scheme(raw: Any, mounted: str) -> dict[str, Any]:
    scheme = raw if isinstance(raw, dict) else {}
    kind = scheme.get("type")
    if kind == "basic":
        return {"type": "http", "scheme": "basic"}
    if kind == "apiKey" and str(scheme.get("in")) == "header" and \
            str(scheme.get("name", "")).lower() == "authorization":
        # Swagger 2.0 had no bearer scheme: this is how it wrote "Authorization: Bearer …".
        return {"type": "http", "scheme": "bearer"}
    if kind == "apiKey":
        return {"type": "apiKey", "name": scheme.get("name"), "in": scheme.get("in")}
    if kind == "oauth2":
        flow: dict[str, Any] = {"scopes": scheme.get("scopes") or {}}
        for key in ("tokenUrl", "authorizationUrl"):
            if key in scheme:
                flow[key] = scheme[key]
        # Swagger 2.0 writes a full URL; discovery matches the login by path on the target.
        token_path = urlsplit(str(scheme.get("tokenUrl", ""))).path
        if token_path:
            flow["tokenUrl"] = _unmounted(token_path, mounted)
        return {"type": "oauth2",
                "flows": {OAUTH_FLOWS.get(str(scheme.get("flow")), "password"): flow}}
    return dict(scheme)


def _unmounted(path: str, mounted: str) -> str:
    """``path`` less the part of it the scan's URL already has."""
    if mounted and (path == mounted or path.startswith(mounted + "/")):
        return path.removeprefix(mounted)
    return path


def _joined(base: str, path: str) -> str:
    return (base.rstrip("/") + "/" + path.lstrip("/")) if base else path


def to_openapi3(doc: dict[str, Any], *, mounted_at: str = "") -> dict[str, Any]:
    """The OpenAPI 3 equivalent of a Swagger 2.0 ``doc`` (for discovery's purposes).

    ``mounted_at`` is the path the scan's target URL already has: a ``basePath`` that
    begins with it is only prefixed with the rest, so paths stay relative to the target.
    """
    walker = _Walker()
    doc = walker.rewrite(doc)
    mounted = mounted_at.rstrip("/")
    base = _unmounted(str(doc.get("basePath") or "").rstrip("/"), mounted)
    paths: dict[str, Any] = {}
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = [_parameter(doc, p) for p in item.get("parameters") or []]
        out = {m: _operation(doc, op, shared) for m, op in item.items()
               if m in HTTP_METHODS and isinstance(op, dict)}
        paths[_joined(base, str(path))] = out
    definitions = doc.get("securityDefinitions") or {}
    components: dict[str, Any] = {
        "schemas": doc.get("definitions") or {},
        "securitySchemes": {str(k): _security_scheme(v, mounted)
                            for k, v in definitions.items()},
    }
    result: dict[str, Any] = {"openapi": "3.0.3", "info": doc.get("info") or {},
                              "paths": paths, "components": components,
                              "x-converted-from": "swagger 2.0"}
    if "security" in doc:
        result["security"] = doc["security"]
    return result

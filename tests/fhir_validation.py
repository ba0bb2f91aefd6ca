"""An offline FHIR R4 validator for the bundles seqplan exports, at three levels.

1. structure: the bundle parsed with the R4B models of ``fhir.resources`` (closest
   maintained model of R4): unknown elements, wrong types, missing required elements;
2. invariants: every FHIRPath constraint of the official R4 StructureDefinitions
   (tests/fixtures/fhir-r4/structures.json, cut by extract.py from hl7.fhir.r4.core 4.0.1,
   CC0) of every element the bundle holds, resource and data type alike, run by fhirpathpy
   with its R4 model;
3. bindings: every element bound ``required`` holds a code of its R4 value set
   (tests/fixtures/fhir-r4/valuesets.json, from the same package).

``validate(bundle)`` returns the errors as one line each, ``level: where: what``.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "fhir-r4"
# complex types walked inside the resource's own definition (their elements are its elements)
_INLINE = {"BackboneElement", "Element"}


@lru_cache(maxsize=1)
def structures():
    return json.loads((FIXTURES / "structures.json").read_text("utf-8"))["structures"]


@lru_cache(maxsize=1)
def value_sets():
    """Value set url -> {(system, code)}, and the codes alone under (None, code)."""
    data = json.loads((FIXTURES / "valuesets.json").read_text("utf-8"))["valuesets"]
    return {url: {(s, c) for s, codes in systems.items() for c in codes} | {(None, c) for codes in systems.values()
                                                                           for c in codes}
            for url, systems in data.items()}


# fhirpathpy has no hasValue() (FHIR's extension to FHIRPath, used by ele-1): true for a
# single primitive that has a value
_FUNCTIONS = {"hasValue": {"fn": lambda inputs: [len(inputs) == 1 and inputs[0] is not None
                                                  and not isinstance(inputs[0], (dict, list))],
                           "arity": {0: []}}}


@lru_cache(maxsize=None)
def _compiled(expression):
    import fhirpathpy
    from fhirpathpy.models import models

    # trace() in ref-1 and dom-3 would print every value: the validator reports, it does not log
    return fhirpathpy.compile(expression, models["r4"],
                              {"userInvocationTable": _FUNCTIONS, "traceFn": lambda label, value: None})


def _child(elements, path, key):
    """(element path, its definition, FHIRPath step) of JSON property ``key`` under ``path``."""
    if f"{path}.{key}" in elements:
        return f"{path}.{key}", elements[f"{path}.{key}"], key
    for candidate, element in elements.items():
        if candidate.startswith(f"{path}.") and candidate.endswith("[x]"):
            base = candidate[len(path) + 1:-3]
            for type_code in element["types"]:
                if key == base + type_code[0].upper() + type_code[1:]:
                    return candidate, dict(element, types=[type_code]), f"{base}.ofType({type_code})"
    return None


def _walk(node, structure, path, nav, where, seen, errors):
    """Collect (structure, element path, FHIRPath to it) of every element in ``node``,
    and check the required bindings on the way."""
    elements = structures()[structure]["elements"]
    seen.add((structure, path, nav))
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "resourceType" or (key == "resource" and structure == "Bundle"):
            continue        # entry resources are validated on their own
        found = _child(elements, path, key)
        if found is None:
            errors.append(f"structure: {where}: {path}.{key}: no such element in R4")
            continue
        child_path, child, step = found
        for item in value if isinstance(value, list) else [value]:
            if "binding" in child:
                _check_binding(item, child, where, child_path, errors)
            if "contentReference" in child:
                _walk(item, structure, child["contentReference"], f"{nav}.{step}", where, seen, errors)
            elif set(child["types"]) & _INLINE or not child["types"]:
                _walk(item, structure, child_path, f"{nav}.{step}", where, seen, errors)
            elif child["types"][0] in structures() and structures()[child["types"][0]]["kind"] == "complex-type":
                seen.add((structure, child_path, f"{nav}.{step}"))
                _walk(item, child["types"][0], child["types"][0], f"{nav}.{step}", where, seen, errors)
            else:
                seen.add((structure, child_path, f"{nav}.{step}"))


def _check_binding(value, element, where, path, errors):
    codes = value_sets().get(element["binding"])
    if codes is None:
        return              # not enumerable (mime types, currencies): seqplan emits none
    if isinstance(value, str):
        found = [(None, value)]
    elif "coding" in value:
        found = [(c.get("system"), c.get("code")) for c in value["coding"]]
    else:
        found = [(value.get("system"), value.get("code"))]
    if not any(pair in codes for pair in found):
        errors.append(f"binding: {where}: {path}: {found} is not in {element['binding']}")


def _structure_errors(bundle):
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    try:
        get_fhir_model_class("Bundle").model_validate(bundle)
    except ValidationError as exc:
        return [f"structure: Bundle: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    return []


def _invariant_errors(bundle, seen_by_type):
    """Each constraint is run once per resource type over all resources of that type (from the
    bundle); those that name %resource or %rootResource once per resource, as the spec runs them.
    An element violates a constraint where it evaluates to false (empty is no verdict: ref-1 on
    a Reference that has only a display)."""
    errors, done = [], set()
    resources = [e["resource"] for e in bundle.get("entry", []) if isinstance(e.get("resource"), dict)]
    for resource_type, seen in sorted(seen_by_type.items()):
        for structure, path, nav in sorted(seen):
            for constraint in structures()[structure]["elements"][path].get("constraints", []):
                if constraint["severity"] != "error":
                    continue     # best practice (dom-6: a narrative): not checked
                expression = constraint["expression"]
                per_resource = "%resource" in expression or "%rootResource" in expression
                roots = [r for r in resources if r["resourceType"] == resource_type] if per_resource else [bundle]
                prefix = resource_type if resource_type == "Bundle" or per_resource \
                    else f"Bundle.entry.resource.ofType({resource_type})"
                full = (prefix + nav[len(resource_type):]) + f".where(({expression}) = false)"
                if full in done:
                    continue     # a data type's element seen from the resource and from the type (ele-1)
                done.add(full)
                for root in roots:
                    try:
                        result = _compiled(full)(root, {"resource": root, "rootResource": root})
                    except Exception as exc:        # noqa: BLE001 - an expression the engine cannot run is a finding
                        errors.append(f"invariant: {resource_type}: {path}: {constraint['key']}: cannot evaluate: {exc}")
                        continue
                    if result:
                        errors.append(f"invariant: {root['id'] if per_resource else resource_type}: {path}: {constraint['key']}: "
                                      f"{constraint.get('human', expression)}")
    return errors


def validate(bundle, invariants=True):
    """Every problem of ``bundle`` (a dict), one line each; [] when it is valid R4.
    ``invariants=False`` checks structure and bindings only: FHIRPath in pure Python costs
    about half a second a bundle, the other two levels a twentieth."""
    errors = _structure_errors(bundle)
    seen_by_type = {"Bundle": set()}
    _walk(bundle, "Bundle", "Bundle", "Bundle", "Bundle", seen_by_type["Bundle"], errors)
    for index, entry in enumerate(bundle.get("entry", [])):
        resource = entry.get("resource", {})
        resource_type = resource.get("resourceType")
        if resource_type not in structures():
            errors.append(f"structure: entry {index}: resource type {resource_type!r} is not one the fixture holds")
            continue
        seen = seen_by_type.setdefault(resource_type, set())
        _walk(resource, resource_type, resource_type, resource_type, f"{resource_type}/{resource.get('id')}", seen,
              errors)
    return errors + (_invariant_errors(bundle, seen_by_type) if invariants else [])

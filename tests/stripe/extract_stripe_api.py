#!/usr/bin/env python3
"""Extract what the tests need of Stripe's published API description into tests/stripe/.

A fresh clone has no ../shared/stripe, so the subset is committed and this script is run by hand whenever
the console starts to use another path or object:

    python3 tests/stripe/extract_stripe_api.py [STRIPE_DATA_DIR]

STRIPE_DATA_DIR holds spec3.json and fixtures3.json (default: ../shared/stripe relative to the repository
root). Writes stripe-api-subset.json and stripe-fixtures-subset.json beside this script.

Each parameter becomes a "shape" that says which names may follow it in Stripe's form encoding:
  scalar: true          the parameter may carry a value itself (name=value)
  properties: {...}     known nested names (name[key]=...)
  additional: shape     any nested name (metadata[anything]=...)
  items: shape          list entries (name[0]=..., name[]=...)
anyOf alternatives are merged into one shape, $refs are resolved.
"""
import json
import os
import sys

# The paths and methods the console uses. Add here, then run the script again.
USED_OPERATIONS = [
    ("get", "/v1/customers"),
    ("get", "/v1/customers/{customer}"),
    ("get", "/v1/subscriptions"),
    ("get", "/v1/subscriptions/{subscription_exposed_id}"),
    ("post", "/v1/subscriptions/{subscription_exposed_id}"),
    ("get", "/v1/invoices"),
    ("get", "/v1/invoices/upcoming"),
    ("get", "/v1/prices/{price}"),
    ("get", "/v1/payment_methods/{payment_method}"),
]

FIXTURE_OBJECTS = ["customer", "subscription", "subscription_item", "price", "product", "invoice",
                   "payment_method"]

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))


def resolve(spec, schema, seen=()):
    ref = schema.get("$ref")
    if ref is None:
        return schema
    if ref in seen:
        raise SystemExit(f"recursive $ref {ref} in a request parameter; the shape format cannot express it")
    node = spec
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return resolve(spec, node, seen + (ref,))


def merge(into, other):
    if other.get("scalar"):
        into["scalar"] = True
    if "properties" in other:
        props = into.setdefault("properties", {})
        for name, shape in other["properties"].items():
            props[name] = merge(props.get(name, {}), shape)
    for key in ("additional", "items"):
        if key in other:
            into[key] = merge(into.get(key, {}), other[key])
    return into


def shape_of(spec, schema, seen=()):
    ref = schema.get("$ref")
    if ref is not None:
        if ref in seen:
            raise SystemExit(f"recursive $ref {ref}")
        return shape_of(spec, resolve(spec, schema), seen + (ref,))
    alternatives = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
    if alternatives:
        shape = {}
        for alternative in alternatives:
            merge(shape, shape_of(spec, alternative, seen))
        return shape
    kind = schema.get("type")
    if kind == "object" or "properties" in schema or "additionalProperties" in schema:
        shape = {}
        props = schema.get("properties", {})
        shape["properties"] = {name: shape_of(spec, sub, seen) for name, sub in props.items()}
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            shape["additional"] = shape_of(spec, extra, seen)
        elif extra is True:
            shape["additional"] = {"scalar": True}
        if not shape["properties"]:
            del shape["properties"]
        if not shape:
            # An object with nothing declared takes no nested names; it can still be sent empty.
            shape["scalar"] = True
        return shape
    if kind == "array":
        return {"items": shape_of(spec, schema.get("items", {}), seen)}
    return {"scalar": True}


def operation_subset(spec, path, method):
    operation = spec["paths"][path][method]
    result = {"path_parameters": [], "query": {}, "form": {}}
    for parameter in operation.get("parameters", []):
        parameter = resolve(spec, parameter)
        if parameter["in"] == "path":
            result["path_parameters"].append(parameter["name"])
        elif parameter["in"] == "query":
            result["query"][parameter["name"]] = shape_of(spec, parameter.get("schema", {}))
    body = operation.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded")
    if body:
        schema = resolve(spec, body.get("schema", {}))
        for name, sub in schema.get("properties", {}).items():
            result["form"][name] = shape_of(spec, sub)
    result["path_parameters"].sort()
    return result


def main():
    data_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO_ROOT, "..", "shared", "stripe")
    with open(os.path.join(data_dir, "spec3.json"), encoding="utf-8") as f:
        spec = json.load(f)
    with open(os.path.join(data_dir, "fixtures3.json"), encoding="utf-8") as f:
        fixtures = json.load(f)

    paths = {}
    for method, path in USED_OPERATIONS:
        if path not in spec["paths"] or method not in spec["paths"][path]:
            raise SystemExit(f"{method.upper()} {path} is not in {data_dir}/spec3.json")
        entry = paths.setdefault(path, {
            "methods_in_spec": sorted(m for m in spec["paths"][path]
                                      if m in ("get", "post", "put", "patch", "delete")),
            "operations": {},
        })
        entry["operations"][method] = operation_subset(spec, path, method)

    subset = {
        "api_version": spec["info"]["version"],
        "source": "Stripe's OpenAPI description spec3.json, extracted by tests/stripe/extract_stripe_api.py",
        "paths": paths,
    }
    resources = fixtures["resources"]
    missing = [name for name in FIXTURE_OBJECTS if name not in resources]
    if missing:
        raise SystemExit(f"fixtures3.json has no {', '.join(missing)}")
    fixture_subset = {
        "api_version": spec["info"]["version"],
        "source": "Stripe's fixtures3.json, extracted by tests/stripe/extract_stripe_api.py",
        "resources": {name: resources[name] for name in FIXTURE_OBJECTS},
    }
    for name, content in (("stripe-api-subset.json", subset), ("stripe-fixtures-subset.json", fixture_subset)):
        with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
            json.dump(content, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"wrote tests/stripe/{name}")


if __name__ == "__main__":
    main()

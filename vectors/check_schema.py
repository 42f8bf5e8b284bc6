#!/usr/bin/env python3
"""Validate every vector file against vectors/schema/vectors.schema.json (JSON Schema 2020-12), and
the score-family spec inputs (process, model, mixture, sampler options) against the schema's $defs.
Needs python3 with the jsonschema package (Debian: python3-jsonschema). Exit 1 on any violation."""
import glob
import json
import os
import sys

import jsonschema

DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
schema = json.load(open(os.path.join(DIR, "schema", "vectors.schema.json"), encoding="utf-8"))
jsonschema.Draft202012Validator.check_schema(schema)
root = jsonschema.Draft202012Validator(schema)


def sub(name):
    return jsonschema.Draft202012Validator({**schema["$defs"][name], "$defs": schema["$defs"]})


defs = {k: sub(k) for k in ("processSpec", "modelSpec", "mixtureSpec", "samplerOptions")}
errors, checked, specs = [], 0, 0
for path in sorted(glob.glob(os.path.join(DIR, "*.json"))):
    data = json.load(open(path, encoding="utf-8"))
    errors += [f"{os.path.basename(path)}: {e.message}" for e in root.iter_errors(data)]
    checked += 1
    for g in data["testGroups"]:
        for c in g["tests"]:
            if c["result"] != "valid":
                continue  # invalid cases break the specs on purpose
            i = c["inputs"]
            pairs = [("processSpec", i.get("process")), ("mixtureSpec", i.get("mixture"))]
            pairs += [("modelSpec", i.get(k)) for k in ("model", "condModel", "uncondModel") if isinstance(i.get(k), dict) and i[k].get("kind") != "affine"]
            if g["op"] == "samplerStep":
                pairs.append(("samplerOptions", i.get("options")))
            for name, v in pairs:
                if v is None:
                    continue
                specs += 1
                errors += [f"{c['id']}: {name}: {e.message}" for e in defs[name].iter_errors(v)]
for e in errors:
    print(e)
print(f"{checked} files, {specs} spec inputs: {'OK' if not errors else f'{len(errors)} violations'}")
sys.exit(1 if errors else 0)

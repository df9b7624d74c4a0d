# The program of tests/toolchain/sdks.test.ts in Python, against the generated SDK (the wheel of
# make sdk-python) under Pulumi's mocks: prints, as JSON, the inputs each resource registers
# (secrets as the engine sees them: sig-wrapped).
import json
import os
import sys

import pulumi

registered = {}


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        registered[args.name] = args.inputs
        return [args.name + "-id", args.inputs]

    def call(self, args):
        return {}


pulumi.runtime.set_mocks(Mocks(), preview=False)

import pulumi_nixos_containers as nixos  # noqa: E402  (after set_mocks, as Pulumi's docs do)

key, password = sys.argv[1], sys.argv[2]
web = nixos.NixosContainer("web", name="web", connection=nixos.ConnectionArgs(host="10.0.0.5", private_key=key))
host = nixos.NixosHost(
    "host",
    connection=nixos.ConnectionArgs(host="10.0.0.6", user="deploy", password=password),
    containers={"a": nixos.HostContainerArgs(name="a")},
)


@pulumi.runtime.test
def report():
    return pulumi.Output.all(web.urn, host.urn).apply(lambda _: print(json.dumps(registered)))


report()
# Pulumi's mock monitor leaves an event loop per worker thread unclosed; collected at interpreter
# exit, one now and then prints "Exception ignored in: BaseEventLoop.__del__" (harmless). Leave
# without that teardown, so stderr holds nothing but this program's own errors.
sys.stdout.flush()
os._exit(0)

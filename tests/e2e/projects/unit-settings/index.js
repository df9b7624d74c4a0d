// One container, not autoStart, whose unit-level settings (tmpfs, capabilities, devices, tun,
// ephemeral, extra veths, start timeout) and update strategy come from the stack config `unit`
// and `updateStrategy`, so that the test changes one at a time.
const pulumi = require("@pulumi/pulumi");
const nixos = require("pulumi-nixos-containers");

const config = new pulumi.Config();
const hosts = nixos.hostsFromConfig(config);

const container = new nixos.NixosContainer("unitset", {
  connection: hosts[Object.keys(hosts).sort()[0]],
  updateStrategy: config.get("updateStrategy"),
  ...(config.getObject("unit") ?? {}),
  config: { environment: { etc: { motd: { text: "unit settings\n" } } } },
});

exports.status = container.status;

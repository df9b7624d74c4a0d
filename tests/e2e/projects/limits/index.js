// One container with resource limits, steered by stack config so that the test can change
// one limit, add an extraFlags item, or hand in a whole config string.
const pulumi = require("@pulumi/pulumi");
const nixos = require("pulumi-nixos-containers");

const config = new pulumi.Config();
const hosts = nixos.hostsFromConfig(config);

const limited = new nixos.NixosContainer("limited", {
  connection: hosts[Object.keys(hosts).sort()[0]],
  autoStart: true,
  resources: { memoryMax: config.get("memoryMax") ?? "1G", cpuQuota: "50%", tasksMax: 512 },
  extraFlags: config.getObject("extraFlags"),
  config: config.get("configString") ?? { environment: { etc: { motd: { text: "limited\n" } } } },
});

exports.status = limited.status;

// The containers of the stack config `containers` (name -> NixosContainer arguments, without the
// connection) on the fleet's first host: one NixosContainer each with `kind: container`, one
// NixosHost holding them all with `kind: host`. The test changes them one step at a time.
const pulumi = require("@pulumi/pulumi");
const nixos = require("pulumi-nixos-containers");

const config = new pulumi.Config();
const hosts = nixos.hostsFromConfig(config);
const connection = hosts[Object.keys(hosts).sort()[0]];
const containers = config.requireObject("containers");

if (config.require("kind") === "host") {
  const host = new nixos.NixosHost("host1", { connection, containers });
  exports.systems = host.containers.apply((cs) => Object.fromEntries(Object.entries(cs ?? {}).map(([k, c]) => [k, c.systemPath])));
} else {
  const systems = {};
  for (const [name, args] of Object.entries(containers)) systems[name] = new nixos.NixosContainer(name, { connection, ...args }).systemPath;
  exports.systems = systems;
}

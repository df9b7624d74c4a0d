"use strict";
// One resource of each kind, written against the API of release 0.1.0, so the same program
// runs with that release and with this checkout. tests/e2e/upgrade.test.ts deploys it with the
// one, then refreshes, previews, updates and destroys it with the other.
const pulumi = require("@pulumi/pulumi");
const nixos = require("pulumi-nixos-containers");

const config = new pulumi.Config();
const privateKey = pulumi.secret(require("node:fs").readFileSync(config.require("privateKeyFile"), "utf8"));
const connection = { host: config.require("host"), hostKey: config.require("hostKey"), privateKey };

const solo = new nixos.NixosContainer("solo", {
  connection,
  autoStart: true,
  privateNetwork: true,
  hostAddress: "10.231.1.1",
  localAddress: "10.231.1.2",
  forwardPorts: [{ hostPort: 8080, containerPort: 80 }],
  config: { services: { nginx: { enable: true } } },
});
const host = new nixos.NixosHost("host1", {
  connection,
  containers: {
    web: { autoStart: true, bindMounts: { "/srv": { hostPath: "/var/lib/web", isReadOnly: true } }, config: { services: { nginx: { enable: true } } } },
    db: { autoStart: true, config: { services: { postgresql: { enable: true } } } },
  },
});

exports.soloSystem = solo.systemPath;
exports.hostSystems = host.containers.apply((c) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.systemPath])));

"use strict";
// Two containers on one host: as two NixosContainer resources (shape "containers") or as
// one NixosHost holding both (shape "host"), with the same arguments. tests/e2e/migration.test.ts
// moves a stack from the first to the second.
const pulumi = require("@pulumi/pulumi");
const nixos = require("pulumi-nixos-containers");

const config = new pulumi.Config();
const privateKey = pulumi.secret(require("node:fs").readFileSync(config.require("privateKeyFile"), "utf8"));
const connection = { host: config.require("host"), hostKey: config.require("hostKey"), privateKey };
const containers = {
  web: { autoStart: true, config: { services: { nginx: { enable: true } } } },
  db: { autoStart: true, config: { services: { postgresql: { enable: true } } } },
};

if (config.get("shape") === "host") {
  const host = new nixos.NixosHost("host1", { connection, containers });
  exports.systems = host.containers.apply((c) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.systemPath])));
} else {
  const made = Object.entries(containers).map(([name, args]) => [name, new nixos.NixosContainer(name, { ...args, connection })]);
  exports.systems = pulumi.all(Object.fromEntries(made.map(([name, c]) => [name, c.systemPath])));
}

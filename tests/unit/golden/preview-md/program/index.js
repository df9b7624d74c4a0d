"use strict";
// A fake NixosContainer dynamic provider (no SSH) whose inputs are shaped like
// sdk/nixos-container.ts's, used by ../capture.sh to record a real
// `pulumi preview --json` for tests/unit/preview-md.test.ts.
// PHASE=1 -> initial fleet (pulumi up); PHASE=2 -> edited fleet (pulumi preview --json).
// The credentials are poison strings: the test checks they never reach the Markdown.
const pulumi = require("@pulumi/pulumi");

const POISON_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nPOISON-PRIVATE-KEY-7c1e9a\n-----END OPENSSH PRIVATE KEY-----\n";
const POISON_SUDO = "POISON-SUDO-PASSWORD-42d0";
const phase = process.env.PHASE === "2" ? 2 : 1;

const provider = {
  async create(inputs) {
    const c = inputs.connection;
    const host = c.port === 22 ? c.host : `${c.host}:${c.port}`;
    return { id: `${host}/${inputs.name}`, outs: { ...inputs, host, status: "up" } };
  },
  async diff(id, olds, news) {
    const replaces = olds.name !== news.name ? ["name"] : [];
    const strip = (o) => JSON.stringify(Object.fromEntries(Object.keys(o).filter((k) => !["host", "status", "__provider"].includes(k)).sort().map((k) => [k, o[k]])));
    const changes = olds.nixConfig !== news.nixConfig || replaces.length > 0 || strip(olds) !== strip(news);
    return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
  },
  async update(id, olds, news) {
    const c = news.connection;
    const host = c.port === 22 ? c.host : `${c.host}:${c.port}`;
    return { outs: { ...news, host, status: "up" } };
  },
  async delete() {},
};

class NixosContainer extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    // like sdk/nixos-container.ts: the whole connection is secret in outputs
    super(provider, name, args, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connection"] }), "nixos", "NixosContainer");
  }
}

class Fleet extends pulumi.ComponentResource {
  constructor(name, opts) {
    super("nixos:index:Fleet", name, {}, opts);
  }
}

function module({ name, autoStart, address, extra }) {
  return [
    "{ config, pkgs, lib, ... }:",
    "{",
    `  containers.${JSON.stringify(name)} = {`,
    `    autoStart = ${autoStart};`,
    "    privateNetwork = true;",
    '    hostAddress = "10.233.0.1";',
    `    localAddress = "${address}";`,
    "    config = { pkgs, ... }: {",
    '      system.stateVersion = "24.05";',
    "      networking.firewall.enable = true;",
    ...extra.map((l) => `      ${l}`),
    "    };",
    "  };",
    "}",
    "",
  ].join("\n");
}

function connection(host, port, user, extra = {}) {
  return { host, port, user, privateKey: pulumi.secret(POISON_KEY), ...extra };
}

const alpha = (user = "deploy") => connection("alpha.example.internal", 22, user);
const beta = (user = "deploy") =>
  connection("beta.example.internal", 2222, user, {
    sudoPassword: pulumi.secret(POISON_SUDO),
    jumpHost: { host: "bastion.example.internal", port: 22, user: "jump", privateKey: pulumi.secret(POISON_KEY) },
  });

const webExtra = (port) => [
  "services.nginx.enable = true;",
  "services.nginx.virtualHosts.\"www.example.org\" = {",
  "  root = \"/srv/www\";",
  `  listen = [ { addr = "0.0.0.0"; port = ${port}; } ];`,
  "};",
  "networking.firewall.allowedTCPPorts = [ 80 443 ];",
  "services.journald.extraConfig = \"SystemMaxUse=200M\";",
  "time.timeZone = \"UTC\";",
  "i18n.defaultLocale = \"en_US.UTF-8\";",
  "environment.systemPackages = [ pkgs.curl pkgs.htop ];",
  "users.users.www = { isSystemUser = true; group = \"www\"; };",
  "users.groups.www = { };",
  "security.acme.acceptTerms = true;",
  `security.acme.defaults.email = "ops@example.org";`,
];

const dbExtra = ["services.postgresql.enable = true;", "services.postgresql.package = pkgs.postgresql_16;"];

const fleet = new Fleet("fleet");
const opts = { parent: fleet };
const specs = [];

// alpha.example.internal (port 22)
specs.push(["alpha/web", {
  name: "web",
  connection: alpha(),
  nixConfig: module({ name: "web", autoStart: true, address: "10.233.0.2", extra: webExtra(phase === 1 ? 80 : 8080) }),
  autoStart: true,
  rebuildAction: "switch",
}]);
// phase 2: the container "db" is renamed "postgres" (same resource, new name input -> replace)
const dbName = phase === 1 ? "db" : "postgres";
specs.push(["alpha/db", {
  name: dbName,
  connection: alpha(),
  nixConfig: module({ name: dbName, autoStart: true, address: "10.233.0.3", extra: dbExtra }),
  autoStart: true,
  rebuildAction: "switch",
}]);
specs.push(["alpha/monitor", {
  name: "monitor",
  connection: alpha(),
  nixConfig: module({ name: "monitor", autoStart: true, address: "10.233.0.4", extra: ["services.prometheus.enable = true;"] }),
  autoStart: true,
  rebuildAction: "switch",
}]);

// beta.example.internal:2222
if (phase === 1) {
  specs.push(["beta/cache", {
    name: "cache",
    connection: beta(),
    nixConfig: module({ name: "cache", autoStart: true, address: "10.233.1.2", extra: ["services.redis.servers.main.enable = true;"] }),
    autoStart: true,
    rebuildAction: "switch",
  }]);
}
// phase 2: worker changes only plain inputs (rebuildAction, connection.user); its module is unchanged
specs.push(["beta/worker", {
  name: "worker",
  connection: beta(phase === 1 ? "deploy" : "ops"),
  nixConfig: module({ name: "worker", autoStart: false, address: "10.233.1.3", extra: ["systemd.services.worker.script = \"sleep infinity\";"] }),
  autoStart: false,
  rebuildAction: phase === 1 ? "switch" : "boot",
}]);
if (phase === 2) {
  specs.push(["beta/search", {
    name: "search",
    connection: beta(),
    nixConfig: module({ name: "search", autoStart: true, address: "10.233.1.4", extra: ["services.opensearch.enable = true;"] }),
    autoStart: true,
    rebuildAction: "switch",
    forwardPorts: [{ hostPort: 9200, containerPort: 9200, protocol: "tcp" }],
  }]);
}

for (const [name, args] of specs) new NixosContainer(name, args, opts);

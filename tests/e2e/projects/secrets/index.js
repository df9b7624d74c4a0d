// Two containers with secret files, as NixosContainer resources or as one NixosHost (stack config
// `shape`). Each secret's value is a config secret (`pulumi config set --secret token1 …`); which
// files each container has, and their mode, owner and units, come from the stack config `files`
// so that the test changes one thing at a time. The service `app` runs as user app and says at
// each start how many bytes of its secret it read.
const pulumi = require("@pulumi/pulumi");
const nixos = require("pulumi-nixos-containers");

const config = new pulumi.Config();
const hosts = nixos.hostsFromConfig(config);
const connection = hosts[Object.keys(hosts).sort()[0]];
const files = config.getObject("files") ?? { "api-token": { value: "token1", owner: "app", group: "app", restartUnits: ["app.service"] } };

const secretsOf = () =>
  Object.fromEntries(Object.entries(files).map(([file, { value, ...rest }]) => [file, { value: config.requireSecret(value), ...rest }]));

const app = (extra) => ({
  autoStart: true,
  privateNetwork: true,
  ...extra,
  secrets: secretsOf(),
  config: {
    users: { users: { app: { isSystemUser: true, group: "app" } }, groups: { app: {} } },
    systemd: {
      services: {
        app: {
          wantedBy: ["multi-user.target"],
          serviceConfig: { User: "app" },
          script: 'echo "app read $(wc -c < /run/secrets/api-token) bytes"; exec sleep 1000000',
        },
      },
    },
  },
});

const containers = { secweb: app({}), secpriv: app({ privateUsers: "pick" }) };
if (config.get("shape") === "host") {
  const host = new nixos.NixosHost("sechost", { connection, containers });
  exports.status = host.containers.apply((c) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.status])));
} else {
  exports.status = Object.fromEntries(Object.entries(containers).map(([name, args]) => [name, new nixos.NixosContainer(name, { connection, ...args }).status]));
}

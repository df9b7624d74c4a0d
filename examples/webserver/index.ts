/**
 * nginx in a container with a private network: host port 8080 forwards to
 * the container's port 80, the site content is bind-mounted read-only from
 * the host, the logs read-write, and the container starts at boot.
 */
import * as pulumi from "@pulumi/pulumi";
import * as nixos from "pulumi-nixos-containers";

const config = new pulumi.Config();
const hosts = nixos.hostsFromConfig(config);
const target = config.get("target") ?? Object.keys(hosts).sort()[0];
const siteRoot = config.get("siteRoot") ?? "/srv/www";

const web = new nixos.NixosContainer("webserver", {
  name: "www",
  connection: hosts[target],
  autoStart: true,
  privateNetwork: true,
  hostAddress: "10.250.0.1",
  localAddress: "10.250.0.2",
  forwardPorts: [
    { hostPort: 8080, containerPort: 80 },
    { hostPort: 8443, containerPort: 443 },
  ],
  bindMounts: {
    "/var/www": { hostPath: siteRoot, isReadOnly: true },
    "/var/log/nginx": { hostPath: "/var/log/containers/www", isReadOnly: false },
  },
  config: {
    services: {
      nginx: {
        enable: true,
        virtualHosts: { default: { root: "/var/www", listen: [{ addr: "0.0.0.0", port: 80 }] } },
      },
    },
    networking: { firewall: { allowedTCPPorts: [80, 443] } },
    system: { stateVersion: "25.11" },
  },
});

export const url = pulumi.interpolate`http://${web.host}:8080/`;
export const address = web.ipAddress;
export const status = web.status;

/** What a changed container@NAME.service does to the running container (provider/deploy/unit-change.ts). */
import { unitChange } from "../../provider/deploy/unit-change";

/** container@web.service as `systemctl cat` prints it (the shape nixpkgs' module writes). */
function unit(service: Record<string, string | string[]> = {}, unitSection: Record<string, string> = {}): string {
  const s: Record<string, string | string[]> = {
    Environment: ['"INSTANCE=%i"', '"root=/var/lib/nixos-containers/%i"'],
    "X-RestartIfChanged": "false",
    DeviceAllow: [],
    DevicePolicy: "closed",
    EnvironmentFile: "-/etc/nixos-containers/%i.conf",
    ExecReload: "/nix/store/aaaa-reload-container",
    ExecStart: "/nix/store/bbbb-unit-script-container_web-start/bin/container_web-start ",
    ExecStartPost: "/nix/store/cccc-unit-script-container_web-post-start/bin/container_web-post-start",
    ExecStartPre: "/nix/store/dddd-unit-script-container_web-pre-start/bin/container_web-pre-start",
    KillMode: "mixed",
    TimeoutStartSec: "1min",
    Type: "notify",
    ...service,
  };
  const u: Record<string, string> = { Description: "Container '%i'", RequiresMountsFor: "/var/lib/nixos-containers/%i", ...unitSection };
  const lines = (o: Record<string, string | string[]>) => Object.entries(o).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x}`));
  return ["# /etc/systemd/system/container@web.service", "[Unit]", ...lines(u), "", "[Service]", ...lines(s), ""].join("\n");
}

const none = { restart: [], applied: [], later: [], other: [] };

it("sees no change between equal units, or without a unit before or after", () => {
  expect(unitChange(unit(), unit())).toEqual(none);
  expect(unitChange(null, unit())).toEqual(none);
  expect(unitChange(unit(), undefined)).toEqual(none);
});

it.each([
  ["the start script (tmpfs, capabilities, ephemeral, extra veths)", { ExecStart: "/nix/store/eeee-unit-script-container_web-start/bin/container_web-start " }, "ExecStart"],
  ["the post-start script (the addresses of extra veths)", { ExecStartPost: "/nix/store/ffff-post-start" }, "ExecStartPost"],
  ["the environment (an ephemeral root)", { Environment: ['"INSTANCE=%i"', '"root=/run/nixos-containers/%i"'] }, "Environment"],
  ["the runtime directory (ephemeral)", { RuntimeDirectory: "nixos-containers/%i" }, "RuntimeDirectory"],
  ["a setting this module does not know", { ProtectSystem: "strict" }, "ProtectSystem"],
])("needs a restart for %s", (_what, service, key) => {
  expect(unitChange(unit(), unit(service))).toEqual({ ...none, restart: [key] });
});

it.each([
  ["DeviceAllow (allowedDevices)", { DeviceAllow: ["/dev/fuse rwm"] }, "DeviceAllow"],
  ["a resource limit", { MemoryMax: "1G" }, "MemoryMax"],
])("has the switch's daemon-reload apply %s", (_what, service, key) => {
  expect(unitChange(unit(), unit(service))).toEqual({ ...none, applied: [key] });
});

it("leaves TimeoutStartSec and ExecReload to the next start and reload", () => {
  expect(unitChange(unit(), unit({ TimeoutStartSec: "2min", ExecReload: "/nix/store/gggg-reload-container" }))).toEqual({ ...none, later: ["ExecReload", "TimeoutStartSec"] });
});

it("counts [Unit] settings and NixOS's X- settings as neither (dependencies of later jobs, switch-to-configuration's own)", () => {
  expect(unitChange(unit(), unit({ "X-RestartIfChanged": "true" }, { RequiresMountsFor: "/var/lib/nixos-containers/%i /srv/data", "X-Restart-Triggers": "/nix/store/hhhh" }))).toEqual({
    ...none,
    other: ["RequiresMountsFor", "X-Restart-Triggers", "X-RestartIfChanged"],
  });
});

it("sorts a mixed change, and ignores the file-name comment", () => {
  const after = unit({ ExecStart: "/nix/store/iiii-start", DeviceAllow: ["/dev/net/tun rwm"], TimeoutStartSec: "5min" }).replace("# /etc/systemd/system/container@web.service", "# /etc/static/systemd/system/container@web.service");
  expect(unitChange(unit(), after)).toEqual({ restart: ["ExecStart"], applied: ["DeviceAllow"], later: ["TimeoutStartSec"], other: [] });
});

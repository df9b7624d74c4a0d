/**
 * The containers the benchmark deploys: the same arguments for the Pulumi
 * program (variants a and b) and for the shell-loop baseline (variant c),
 * which renders them with the provider's own renderer, so every host
 * evaluates exactly the same Nix whichever way it was deployed.
 */

/** Host `hostN` (1-based) carries containers c01..cNN. */
export function hostName(h: number): string {
  return `host${h}`;
}

export function containerName(k: number): string {
  return `c${String(k).padStart(2, "0")}`;
}

/**
 * The NixosContainer arguments (without `connection`) of container k on a
 * host, at revision `rev` (the change scenarios bump it). A small but real
 * container: private network, a port forward, a service, packages.
 */
export function containerArgs(k: number, rev: number): Record<string, unknown> {
  return {
    name: containerName(k),
    autoStart: true,
    privateNetwork: true,
    hostAddress: `10.231.${k}.1`,
    localAddress: `10.231.${k}.2`,
    forwardPorts: [{ hostPort: 8000 + k, containerPort: 80 }],
    config: {
      services: { nginx: { enable: true, virtualHosts: { default: { root: "/var/www" } } } },
      networking: { firewall: { allowedTCPPorts: [80] } },
      environment: {
        systemPackages: { $nix: "with pkgs; [ curl jq ]" },
        etc: { "bench-revision": { text: `revision ${rev}\n` } },
      },
    },
  };
}

/** Revision of every container: 0 unless the stack config `revisions` says otherwise ("host3/c01": 2). */
export function revisionOf(revisions: Record<string, number>, h: number, k: number): number {
  return revisions[`${hostName(h)}/${containerName(k)}`] ?? 0;
}

/** Which containers the health benchmark (bench/health.ts) checks, and how: "host1/c01": "pass". */
export type HealthPlan = Record<string, "pass" | "fail">;

/**
 * One command check, run inside the container after its change: "pass" finds a file every
 * revision has, "fail" one no revision has (so the change is rolled back).
 */
export function healthChecksFor(kind: "pass" | "fail", timeoutSeconds: number): Record<string, unknown> {
  const file = kind === "pass" ? "/etc/bench-revision" : "/etc/bench-missing";
  return { systemRunning: false, commands: [{ argv: ["test", "-e", file] }], timeoutSeconds, intervalSeconds: 2 };
}

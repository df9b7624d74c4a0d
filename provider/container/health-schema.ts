/**
 * What "the container works" means for a container: its health checks, run inside it after every
 * change that activates it (provider/deploy/health.ts), and whether a container that fails them
 * is rolled back. They steer the provider and never reach NixOS (module.ts DEPLOYMENT_ONLY), so
 * changing them alone changes nothing on the host.
 */
import { z } from "zod";
import "../inputs/meta";
import * as f from "./formats";
import { formatted, port } from "./fields";

const seconds = (what: string, max: number) => {
  const message = `expected ${what} in whole seconds, from 1 to ${max}`;
  return z.number({ message }).int(message).min(1, message).max(max, message);
};

/** An argument that can be passed to a program (a NUL byte cannot). */
const argument = z.string().refine((v) => !v.includes("\0"), { message: "an argument cannot contain a NUL byte" });

export const HealthCommandSchema = z
  .object({
    argv: z.array(argument).min(1, "expected the command and its arguments, e.g. [\"pg_isready\", \"-q\"]: an empty argv runs nothing").refine((a) => a.length === 0 || a[0] !== "", {
      message: "the first item is the program to run and cannot be empty",
    }).meta({
      description:
        'The program and its arguments, run inside the container as root in a login shell (nixos-container run), so the container\'s system packages are on PATH: ["pg_isready", "-q"]. Each item is one argument, passed as it is (no shell); for a pipeline, run ["sh", "-c", "…"].',
    }),
    timeoutSeconds: seconds("a timeout", 3600).optional().meta({
      description: "Longest time one run of the command may take before it counts as failed; at most the time left of the whole check (healthChecks.timeoutSeconds).",
    }),
  })
  .strict()
  .meta({ description: "A command that must exit 0 inside the container." });

export const TcpCheckSchema = z
  .object({
    port: port.meta({ description: "The port something must accept connections on." }),
    host: formatted(f.probeHost).optional().meta({
      description: "Address to connect to, as the container resolves and routes it (its own network namespace with privateNetwork).",
      providerDefault: "127.0.0.1",
    }),
  })
  .strict()
  .meta({ description: "Something accepts TCP connections on this port inside the container." });

export const HttpCheckSchema = z
  .object({
    port: port.meta({ description: "The port of the HTTP server." }),
    host: formatted(f.probeHost).optional().meta({
      description: "Address to connect to inside the container; also sent as the Host header.",
      providerDefault: "127.0.0.1",
    }),
    path: formatted(f.httpPath).optional().meta({ description: "The path to GET.", providerDefault: "/" }),
    expectStatus: z
      .array(z.number({ message: "expected an HTTP status code from 100 to 599" }).int().min(100, "expected an HTTP status code from 100 to 599").max(599, "expected an HTTP status code from 100 to 599"))
      .min(1, "expected at least one status code, or leave expectStatus out (any status below 400 passes)")
      .optional()
      .meta({ description: "The status codes that pass, e.g. [200, 204]. Unset: any status below 400 (as curl --fail)." }),
  })
  .strict()
  .meta({ description: "An HTTP GET (HTTP/1.0, plain http) inside the container answers with an expected status." });

export const HealthChecksSchema = z
  .object({
    systemRunning: z.boolean().default(true).meta({
      description:
        'Inside the container, `systemctl is-system-running --wait` must say "running": its boot or activation finished and no unit failed ("degraded" fails, naming the failed units).',
    }),
    units: z.array(formatted(f.unitName)).optional().meta({
      description: 'Units that must be active inside the container, e.g. ["postgresql.service"] (a name without a suffix is a .service).',
    }),
    commands: z.array(HealthCommandSchema).optional().meta({ description: "Commands that must exit 0 inside the container." }),
    tcp: z.array(TcpCheckSchema).optional().meta({ description: "Ports something must accept TCP connections on, inside the container." }),
    http: z.array(HttpCheckSchema).optional().meta({ description: "HTTP endpoints inside the container that must answer with an expected status." }),
    timeoutSeconds: seconds("a timeout", 3600).default(60).meta({
      description: "How long the checks may take to pass, all of them together: each failing check is retried until then.",
    }),
    intervalSeconds: seconds("an interval", 600).default(2).meta({ description: "Time between two tries of a failing check." }),
  })
  .strict()
  .meta({
    description:
      "Checks run inside the container after every pulumi up that creates, changes or restarts it (rebuildAction switch or test; nothing is activated with boot), while it runs: all containers of a host in parallel, over the deployment's SSH connection. A container that fails them fails its resource, naming the check and its output, and is rolled back (see rollback). A failed activation inside it (switch-to-configuration exit 4, a unit that failed to start) or a container that did not start counts as a failed check too. Without healthChecks nothing is checked.",
  });

export const RollbackSchema = z.boolean().optional().meta({
  description:
    "When the container fails its healthChecks: put its previous module back and apply it (one more nixos-rebuild of that host), so it runs the system, conf and unit it ran before; the other containers of the run keep their change, and the next pulumi up tries the new configuration again. Data the new version wrote stays. A container created in the run has nothing to go back to: it is left stopped, not deleted. false: the new configuration stays and the resource fails.",
  providerDefault: true,
});

export type HealthChecksArgs = z.output<typeof HealthChecksSchema>;

/**
 * Secrets without a host: validation (before any host is touched), the module (a mount, never a
 * value), what a step writes, drift, the remote scripts (no value in a command line) and the
 * lifecycle's secrets-only step.
 */
import { validateContainer, formatProblems } from "../../provider/container/validate";
import { renderContainerModule } from "../../provider/container/module";
import { validateHost } from "../../provider/container/host-validate";
import { KINDS, contextFrom, resourceOps } from "../../provider/lifecycle";
import { secretValuesIn } from "../../provider/lifecycle/codec";
import { DRIFTED, secretChanges, secretsDrift, secretsStanding } from "../../provider/lifecycle/secrets";
import { checkSecrets, secretsPayload, settleSecrets, writeSecrets } from "../../provider/deploy/secrets-scripts";
import type { ChangeOutcome, ContainerChange } from "../../provider/deploy/change";
import type { HostEngine } from "../../provider/deploy/engine";
import { silentProgress } from "../../provider/deploy/progress";
import { createHash } from "node:crypto";
import { CONNECTION } from "../support/specs";

const APP = { users: { users: { app: { isSystemUser: true, group: "app" } }, groups: { app: {} } } };
const problems = (secrets: unknown, extra: Record<string, unknown> = {}) => formatProblems(validateContainer({ name: "web", connection: CONNECTION, config: APP, secrets, ...extra }).errors);

describe("validation, before any host is touched", () => {
  it("accepts files with modes, owners by name or number, and units", () => {
    expect(problems({ "db-password": { value: "s3cret", mode: "0440", owner: "app", group: "app", restartUnits: ["app.service"], reloadUnits: ["nginx"] }, "tls.key": { value: "k", owner: 0 } })).toEqual([]);
  });

  it.each([
    ["../x", /^secrets\["\.\.\/x"\]: expected a file name/],
    ["a/b", /^secrets\["a\/b"\]: expected a file name/],
    [".hidden", /^secrets\["\.hidden"\]: expected a file name/],
  ])("refuses the file name %s", (file, message) => {
    expect(problems({ [file]: { value: "v" } }).join("\n")).toMatch(message);
  });

  it("refuses a mode that is not octal, an unknown owner or group, an empty value, a unit name with a space", () => {
    expect(problems({ x: { value: "v", mode: "rw-r-----" } })).toEqual([expect.stringMatching(/^secrets\.x\.mode: expected an octal file mode/)]);
    expect(problems({ x: { value: "v", mode: "4755" } })).toEqual([expect.stringMatching(/^secrets\.x\.mode: /)]);
    expect(problems({ x: { value: "v", owner: "nosuchuser" } })).toEqual([expect.stringMatching(/^secrets\.x\.owner: the container has no user "nosuchuser": declare it in config\.users\.users/)]);
    expect(problems({ x: { value: "v", group: "nosuch" } })).toEqual([expect.stringMatching(/^secrets\.x\.group: the container has no group "nosuch"/)]);
    expect(problems({ x: { value: "" } })).toEqual(["secrets.x.value: must not be empty"]);
    expect(problems({ x: { value: "v", restartUnits: ["app service"] } })).toEqual([expect.stringMatching(/^secrets\.x\.restartUnits\[0\]: expected a systemd unit name/)]);
  });

  it("never echoes a value given in the wrong shape", () => {
    const out = problems({ x: { value: 123456789 } }).join("\n");
    expect(out).toMatch(/^secrets\.x\.value: /);
    expect(out).not.toContain("123456789");
  });

  it("knows the users of enabled nixpkgs services; a config written as Nix is checked on the host instead", () => {
    expect(problems({ x: { value: "v", owner: "postgres" } }, { config: { services: { postgresql: { enable: true } } } })).toEqual([]);
    expect(problems({ x: { value: "v", owner: "someone" } }, { config: "{ ... }: { users.users.someone.isNormalUser = true; }" })).toEqual([]);
  });

  it("refuses a bind mount at /run/secrets, and reports a NixosHost entry's problems at its path", () => {
    expect(problems({ x: { value: "v" } }, { bindMounts: { "/run/secrets": { hostPath: "/srv/x" } } })).toEqual([expect.stringMatching(/^bindMounts\["\/run\/secrets"\]: \/run\/secrets is where the container's secrets are mounted/)]);
    const host = validateHost({ connection: CONNECTION, containers: { web: { config: APP, secrets: { x: { value: "v", owner: "nobody2" } } } } });
    expect(formatProblems(host.errors)).toEqual([expect.stringMatching(/^containers\.web\.secrets\.x\.owner: the container has no user "nobody2"/)]);
  });
});

describe("the module", () => {
  const render = (secrets: unknown) => renderContainerModule(validateContainer({ name: "web", connection: CONNECTION, config: APP, secrets }).spec!);

  it("mounts the container's secrets directory read-only at /run/secrets, and holds no value", () => {
    const module = render({ token: { value: "value-that-must-not-be-in-nix" } });
    expect(module).toContain('"/run/secrets" = {\n        hostPath = "/var/lib/pulumi-nixos-containers/secrets/web";\n        isReadOnly = true;');
    expect(module).not.toContain("value-that-must-not-be-in-nix");
    expect(module).not.toContain("token");
  });

  it("depends only on whether there are secrets: a rotation, a new file or a new mode change nothing in it", () => {
    const one = render({ token: { value: "a" } });
    expect(render({ token: { value: "b", mode: "0440" }, other: { value: "c" } })).toBe(one);
    expect(render(undefined)).not.toContain("/run/secrets");
    expect(render({})).toBe(render(undefined));
  });
});

describe("what a step writes, and drift", () => {
  const sha = (s: string) => createHash("sha256").update(s).digest("hex");
  const onHost = (file: string, content: string, mode = "400", owner = "root:0", group = "root:0") => {
    const [on, oi] = owner.split(":");
    const [gn, gi] = group.split(":");
    return { file, sha256: sha(content), mode, owner: { name: on, id: Number(oi) }, group: { name: gn, id: Number(gi) } };
  };

  it("gives the host every declared file, with a value only where it changed (value, mode or owner)", () => {
    const old = { a: { value: "1" }, b: { value: "2", mode: "0400" }, c: { value: "3" } };
    const now = { a: { value: "1" }, b: { value: "2", mode: "400", owner: "app" }, c: { value: "4" }, d: { value: "5" } };
    const changes = secretChanges(old, now);
    expect(changes.map((f) => [f.file, f.value])).toEqual([["a", undefined], ["b", "2"], ["c", "4"], ["d", "5"]]);
    expect(changes[0]).toEqual({ file: "a", mode: "0400", owner: "root", group: "root", restartUnits: [], reloadUnits: [] });
  });

  it("a file changed, removed or added on the host is drift, recorded as a marker (never the content)", () => {
    const recorded = { a: { value: "1" }, b: { value: "2" }, c: { value: "3", owner: "app" } };
    expect(secretsDrift(recorded, [onHost("a", "1"), onHost("c", "3", "400", "app:998"), onHost("x", "?")])).toEqual({ b: DRIFTED.missing, x: DRIFTED.extra });
    expect(secretsDrift(recorded, [onHost("a", "tampered"), onHost("b", "2", "444"), onHost("c", "3")])).toEqual({ a: DRIFTED.changed, b: DRIFTED.changed, c: DRIFTED.changed });
    expect(secretsDrift(recorded, null)).toEqual({ a: DRIFTED.missing, b: DRIFTED.missing, c: DRIFTED.missing });
    expect(secretsDrift(undefined, [onHost("x", "?")])).toEqual({});
  });

  it("says how each file stands, for nixos-containers status", () => {
    expect(secretsStanding({ a: { value: "1" }, b: { value: "2" } }, [onHost("a", "1"), onHost("z", "?")])).toEqual([
      { file: "a", standing: "current" },
      { file: "b", standing: "missing on the host" },
      { file: "z", standing: "not declared: the next pulumi up removes it" },
    ]);
  });
});

describe("the remote scripts", () => {
  const files = [
    { file: "db-password", mode: "0440", owner: "app", group: 0, restartUnits: ["app.service"], reloadUnits: [], value: "s3cret-value" },
    { file: "kept", mode: "0400", owner: "root", group: "root", restartUnits: [], reloadUnits: [] },
  ];
  const steps = [{ name: "web", files, settleNow: true }];

  it("carry no value, no length and no digest of a value in their text (a command line); the value goes on stdin", () => {
    const scripts = [writeSecrets(steps), checkSecrets(steps), settleSecrets([{ name: "web", files, actOnChanged: true, late: [], remove: false }])];
    const sha = createHash("sha256").update("s3cret-value").digest("hex");
    for (const s of scripts) {
      expect(s).not.toContain("s3cret-value");
      expect(s).not.toContain(sha);
      expect(s).not.toContain(Buffer.from("s3cret-value").toString("base64"));
      expect(s).not.toMatch(/receive_secret .* 12\b/);
    }
    expect(secretsPayload(steps).toString()).toBe(`12 ${Buffer.from("s3cret-value").toString("base64")}\n`);
    expect(writeSecrets(steps)).toContain("receive_secret web db-password 0440 app 0\n");
    expect(writeSecrets(steps)).not.toContain("receive_secret web kept");
    expect(writeSecrets(steps)).toContain("prune_secrets web db-password kept\n");
  });
});

describe("the lifecycle", () => {
  function opsWith() {
    const changes: ContainerChange[] = [];
    const engine = {
      applyBatch: async (batch: ContainerChange[]): Promise<ChangeOutcome[]> => {
        changes.push(...batch);
        return batch.map((c) => ({ name: c.name, result: { state: { name: c.name, module: c.module ?? null, conf: "", status: "up" }, postAction: "none", warnings: [] } }));
      },
    } as unknown as HostEngine;
    const ctx = contextFrom(() => { throw new Error("no transport"); }, () => (t) => t);
    return { ops: resourceOps(KINDS.NixosHost, { ...ctx, engineFor: () => engine }, silentProgress), changes };
  }
  const inputs = (token: string, mode?: string) => ({ connection: CONNECTION, containers: { web: { config: APP, secrets: { token: { value: token, owner: "app", ...(mode && { mode }) } } }, db: { config: {} } } });

  it("a rotation is a secrets-only change of that container: no module, only the changed file's value", async () => {
    const { ops, changes } = opsWith();
    const { outs } = await ops.create(ops.check({}, inputs("one")).inputs);
    expect(changes.map((c) => [c.name, c.kind])).toEqual([["web", "create"], ["db", "create"]]);
    changes.length = 0;
    const next = ops.check(outs, inputs("two")).inputs;
    expect(ops.diff("id", outs, next).changes).not.toBe(false);
    await ops.update("id", outs, next);
    expect(changes).toEqual([expect.objectContaining({ name: "web", kind: "secrets", secrets: [expect.objectContaining({ file: "token", value: "two" })] })]);
    expect(changes[0].module).toBeUndefined();
  });

  it("knows where the values are, to keep them out of errors", () => {
    expect(secretValuesIn("host", inputs("xyz"))).toEqual(["xyz"]);
    expect(secretValuesIn("container", { secrets: { a: { value: "1" }, b: { value: "2" } } })).toEqual(["1", "2"]);
  });
});

/** NixosHost inputs: the host's settings, then each container through the NixosContainer validation. */
import { validateHost } from "../../provider/container/host-validate";
import { formatProblems } from "../../provider/container/validate";
import { KINDS, check, diff } from "../../provider/lifecycle";
import { silentProgress } from "../../provider/deploy/progress";
import { CONNECTION } from "../support/specs";

const problems = (input: unknown) => formatProblems(validateHost(input).errors);

describe("validateHost", () => {
  it("accepts a host with containers by name, each with the host's rebuild settings", () => {
    const r = validateHost({ connection: CONNECTION, rebuildAction: "test", containers: { web: { config: {} }, db: { name: "pg", autoStart: true } } });
    expect(r.errors).toEqual([]);
    expect(r.spec!.rebuildAction).toBe("test");
    expect(r.spec!.entries.map((e) => [e.key, e.spec.name, e.spec.rebuildAction])).toEqual([["web", "web", "test"], ["db", "pg", "test"]]);
  });

  it("reports a container's problems under containers.<key>", () => {
    expect(problems({ connection: CONNECTION, containers: { web: { forwardPorts: [{ hostPort: 80 }] }, db: { autostart: true } } })).toEqual([
      expect.stringMatching(/^containers\.web\.forwardPorts: forwardPorts only takes effect with privateNetwork/),
      'containers.db.autostart: unknown property; did you mean "autoStart"?',
    ]);
    expect(problems({ connection: CONNECTION, containers: { web: { privateNetwork: true, forwardPorts: [{ hostPort: "80" }] } } })).toEqual([
      'containers.web.forwardPorts[0].hostPort: expected a port number (an integer from 1 to 65535), got the string "80"; write 80 without quotes',
    ]);
  });

  it("refuses per-container settings that belong to the host, and two containers with one name", () => {
    expect(problems({ connection: CONNECTION, containers: { a: { rebuildAction: "boot" }, b: { connection: CONNECTION } } })).toEqual([
      "containers.a.rebuildAction: is set once for all containers of a NixosHost (one rebuild applies them all): set rebuildAction on the NixosHost itself",
      "containers.b.connection: is set once for all containers of a NixosHost (one rebuild applies them all): set connection on the NixosHost itself",
    ]);
    expect(problems({ connection: CONNECTION, containers: { a: {}, b: { name: "a" } } })).toEqual([
      'containers.b.name: "a" is already the name of containers.a; container names on a host are unique',
    ]);
  });

  it("names unknown host settings, a missing connection and bad containers", () => {
    expect(problems({ containers: {}, rebuildActon: "test" })).toEqual(["rebuildActon: unknown property; did you mean \"rebuildAction\"?", "connection: is required"]);
    expect(problems({ connection: CONNECTION, containers: [] })).toEqual(["containers: expected an object of containers by name, e.g. { web: { config: { … } } }"]);
    expect(problems({ connection: CONNECTION, containers: { "bad_name": {} } })[0]).toMatch(/^containers\.bad_name\.name: /);
  });
});

describe("check and diff of a NixosHost", () => {
  const checkHost = (news: Record<string, unknown>, progress: typeof silentProgress) => check(KINDS.NixosHost, news, progress);
  const diffHost = (olds: Record<string, unknown>, news: Record<string, unknown>) => diff(KINDS.NixosHost, olds, news);
  const news = { connection: CONNECTION, containers: { web: { config: {} } } };

  it("normalises every container and renders its module; a wrong nixConfig is refused under its path", () => {
    const ok = checkHost(news, silentProgress);
    expect(ok.failures).toEqual([]);
    const web = (ok.inputs.containers as Record<string, Record<string, unknown>>).web;
    expect(web.name).toBe("web");
    expect(web.nixConfig).toMatch(/containers\."?web"? = \{/);
    expect(web.connection).toBeUndefined();
    const bad = checkHost({ ...news, containers: { web: { config: {}, nixConfig: "{ }" } } }, silentProgress);
    expect(bad.failures.map((f) => f.property)).toEqual(["containers.web.nixConfig"]);
  });

  it("a changed container is a change (left to the engine's detailed diff); a new address replaces the host", () => {
    const before = checkHost(news, silentProgress).inputs;
    const outputs = { ...before, host: "h", containers: { web: { ...(before.containers as any).web, status: "up", configHash: "x" } } };
    expect(diffHost(outputs, before)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    const changed = checkHost({ ...news, containers: { web: { config: {}, autoStart: true } } }, silentProgress).inputs;
    expect(diffHost(outputs, changed)).toEqual({ changes: undefined, replaces: [], deleteBeforeReplace: false });
    const moved = checkHost({ ...news, connection: { ...CONNECTION, host: "10.9.9.9" } }, silentProgress).inputs;
    expect(diffHost(outputs, moved)).toEqual({ changes: undefined, replaces: ["connection.host"], deleteBeforeReplace: true });
  });
});

/**
 * Secret files under faults (README "Secrets", docs/reliability.md): a round that is cut while
 * it writes them, or whose rebuild fails, leaves each container's files as they were (at once,
 * or first thing in the next run, from the journal), and the next run converges.
 */
import { Fleet, startFleet } from "../hosts/helpers";
import { newEngine, specFor, changeFor } from "../support/deploy";
import { secretChanges } from "../../provider/lifecycle/secrets";
import type { ContainerChange } from "../../provider/deploy/change";
import { rebuildCount, reasonOf } from "./support";

let fleet: Fleet;
const DIR = "/var/lib/pulumi-nixos-containers/secrets/s";

/** Container s with one secret file of this content; `version` changes its module too. */
function secretChange(kind: ContainerChange["kind"], value: string, previous: string | undefined, version = "v1"): ContainerChange {
  const secrets = { token: { value, restartUnits: ["app.service"] } };
  const spec = specFor(fleet, 1, {
    name: "s",
    autoStart: true,
    rebuildTimeoutSeconds: 60,
    secrets,
    config: {
      environment: { etc: { v: { text: `s:${version}` } } },
      systemd: { services: { app: { wantedBy: ["multi-user.target"], script: "exec sleep 1000000" } } },
    },
  });
  const old = previous === undefined ? undefined : { token: { value: previous, restartUnits: ["app.service"] } };
  return { ...changeFor(spec, kind), ...(kind === "secrets" && { module: undefined }), secrets: secretChanges(old, secrets) };
}

async function apply(c: ContainerChange, onLine?: (line: string) => void) {
  const run = newEngine(fleet, 1, { quietMs: 50 });
  if (onLine) run.progress.onLine = onLine;
  try {
    return await Promise.allSettled([run.engine.apply(c)]);
  } finally {
    await run.pool.closeAll();
  }
}

const onHost = () => fleet.ok(1, `cat ${DIR}/token`);
const inContainer = () => fleet.ok(1, "nixos-container run s -- cat /run/secrets/token");
const journal = () => fleet.ok(1, "ls -A /var/lib/pulumi-nixos-containers/journal");

beforeAll(async () => {
  fleet = startFleet(154, 1);
  const [first] = await apply(secretChange("create", "one", undefined));
  expect(reasonOf(first)).toBe("");
  expect(inContainer()).toBe("one");
}, 120_000);
afterAll(() => fleet?.down());

test("cut while a rotation's file is on its way: the file keeps its old content, the journal restores the directory first thing in the next run, which converges", async () => {
  const [cut] = await apply(secretChange("secrets", "two", "one"), (line) => {
    if (line.includes("secrets: writing")) fleet.must("fault", "1", "cut-after-bytes", "3");
  });
  fleet.must("fault", "1", "clear");
  expect(reasonOf(cut)).toMatch(/connection .*lost/is);
  expect(fleet.events(1).some((e) => e.event === "cut")).toBe(true);
  expect(onHost()).toBe("one");
  expect(inContainer()).toBe("one");
  expect(fleet.ok(1, `ls -A ${DIR} /var/lib/pulumi-nixos-containers/secrets/.staging`)).not.toMatch(/tmp|\.\d+$/m);
  expect(journal()).toContain("s.secrets-prev");

  const [again] = await apply(secretChange("secrets", "two", "one"));
  expect(reasonOf(again)).toBe("");
  expect(inContainer()).toBe("two");
  expect(journal()).toBe("");
});

test("a rebuild that fails puts the secret files of its change back at once; the next run converges", async () => {
  const rebuilds = rebuildCount(fleet, 1);
  fleet.must("fault", "1", "eval-fail", "1");
  const [failed] = await apply(secretChange("update", "three", "two", "v2"));
  fleet.must("fault", "1", "clear");
  expect(reasonOf(failed)).toMatch(/simulated evaluation failure/);
  expect(rebuildCount(fleet, 1)).toBe(rebuilds + 1);
  expect(onHost()).toBe("two");
  expect(inContainer()).toBe("two");
  expect(journal()).toBe("");

  const [again] = await apply(secretChange("update", "three", "two", "v2"));
  expect(reasonOf(again)).toBe("");
  expect(inContainer()).toBe("three");
  expect(journal()).toBe("");
});

/**
 * preview-md: the unified diff, the Markdown renderer, and a golden file made
 * from a real `pulumi preview --json` (tests/unit/golden/preview-md/capture.sh).
 * UPDATE_GOLDEN=1 rewrites the expected Markdown.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CONTAINER_TYPE,
  CREDENTIAL_KEYS,
  PreviewJsonError,
  UNKNOWN_SENTINEL,
  renderPreviewMarkdown,
} from "../../provider/cli/preview-md";
import { diffLines, splitLines, unifiedDiff } from "../../provider/cli/line-diff";
import { previewMdCommand } from "../../provider/cli/preview-md-command";
import { CONNECTION_SECRET_KEYS } from "../../provider/inputs/connection";

const GOLDEN = join(__dirname, "golden", "preview-md");
const POISON = "POISON";
const SIG = "4dabf18193072939515e22adb298388d";
const SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

const lines = (n: number, prefix = "line") => Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}\n`).join("");

describe("splitLines", () => {
  test("keeps terminators; only the last line may lack one", () => {
    expect(splitLines("")).toEqual([]);
    expect(splitLines("a")).toEqual(["a"]);
    expect(splitLines("a\n")).toEqual(["a\n"]);
    expect(splitLines("a\n\nb")).toEqual(["a\n", "\n", "b"]);
  });
});

describe("unifiedDiff", () => {
  test("identical texts give no diff", () => {
    expect(unifiedDiff("", "")).toBe("");
    expect(unifiedDiff("a\nb\n", "a\nb\n")).toBe("");
  });

  test("empty old: everything added, old range 0,0", () => {
    expect(unifiedDiff("", "a\nb\n")).toBe("@@ -0,0 +1,2 @@\n+a\n+b\n");
    expect(unifiedDiff("", "a\n")).toBe("@@ -0,0 +1 @@\n+a\n");
  });

  test("empty new: everything removed, new range 0,0", () => {
    expect(unifiedDiff("a\nb\nc\n", "")).toBe("@@ -1,3 +0,0 @@\n-a\n-b\n-c\n");
  });

  test("a single changed line with 3 lines of context on each side", () => {
    const old = lines(10);
    const nu = old.replace("line 5\n", "line five\n");
    expect(unifiedDiff(old, nu)).toBe(
      ["@@ -2,7 +2,7 @@", " line 2", " line 3", " line 4", "-line 5", "+line five", " line 6", " line 7", " line 8", ""].join("\n"),
    );
  });

  test("a change on the first line has only trailing context", () => {
    const old = lines(8);
    expect(unifiedDiff(old, old.replace("line 1\n", "first\n"))).toBe("@@ -1,4 +1,4 @@\n-line 1\n+first\n line 2\n line 3\n line 4\n");
  });

  test("a change on the last line has only leading context", () => {
    const old = lines(8);
    expect(unifiedDiff(old, old.replace("line 8\n", "last\n"))).toBe("@@ -5,4 +5,4 @@\n line 5\n line 6\n line 7\n-line 8\n+last\n");
  });

  test("insertion and deletion in the middle", () => {
    expect(unifiedDiff("a\nb\nc\n", "a\nx\nb\nc\n")).toBe("@@ -1,3 +1,4 @@\n a\n+x\n b\n c\n");
    expect(unifiedDiff("a\nb\nc\n", "a\nc\n")).toBe("@@ -1,3 +1,2 @@\n a\n-b\n c\n");
  });

  test("changes more than 6 unchanged lines apart are separate hunks", () => {
    // changes on lines 2 and 10: 7 unchanged lines between them
    const old = lines(12);
    const nu = old.replace("line 2\n", "two\n").replace("line 10\n", "ten\n");
    expect(unifiedDiff(old, nu)).toBe(
      [
        "@@ -1,5 +1,5 @@",
        " line 1",
        "-line 2",
        "+two",
        " line 3",
        " line 4",
        " line 5",
        "@@ -7,6 +7,6 @@",
        " line 7",
        " line 8",
        " line 9",
        "-line 10",
        "+ten",
        " line 11",
        " line 12",
        "",
      ].join("\n"),
    );
  });

  test("changes exactly 6 unchanged lines apart share one hunk", () => {
    // changes on lines 2 and 9: 6 unchanged lines between them
    const old = lines(12);
    const diff = unifiedDiff(old, old.replace("line 2\n", "two\n").replace("line 9\n", "nine\n"));
    expect(diff.split("\n").filter((l) => l.startsWith("@@"))).toEqual(["@@ -1,12 +1,12 @@"]);
  });

  test("trailing newline differences are marked", () => {
    expect(unifiedDiff("a\nb\n", "a\nb")).toBe("@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n");
    expect(unifiedDiff("a\nb", "a\nb\n")).toBe("@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
    expect(unifiedDiff("a\nb", "a\nc")).toBe("@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n");
    // an unchanged last line without newline, in context
    expect(unifiedDiff("x\nb", "y\nb")).toBe("@@ -1,2 +1,2 @@\n-x\n+y\n b\n\\ No newline at end of file\n");
  });

  test("context size is a parameter", () => {
    const old = lines(5);
    expect(unifiedDiff(old, old.replace("line 3\n", "three\n"), 0)).toBe("@@ -3 +3 @@\n-line 3\n+three\n");
    expect(unifiedDiff("a\nb\n", "a\nx\nb\n", 0)).toBe("@@ -1,0 +2 @@\n+x\n");
  });
});

describe("diffLines (Myers)", () => {
  /** Length of a longest common subsequence, by dynamic programming. */
  function lcs(a: string[], b: string[]): number {
    const row = new Array<number>(b.length + 1).fill(0);
    for (let i = 1; i <= a.length; i++) {
      let diag = 0;
      for (let j = 1; j <= b.length; j++) {
        const up = row[j];
        row[j] = a[i - 1] === b[j - 1] ? diag + 1 : Math.max(row[j], row[j - 1]);
        diag = up;
      }
    }
    return row[b.length];
  }

  test("random inputs: the script rebuilds both sides and is minimal", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 500; round++) {
      const alphabet = 1 + Math.floor(random() * 5);
      const gen = () => Array.from({ length: Math.floor(random() * 15) }, () => String.fromCharCode(97 + Math.floor(random() * alphabet)));
      const a = gen();
      const b = gen();
      const script = diffLines(a, b);
      expect(script.filter((e) => e.op !== "+").map((e) => e.text)).toEqual(a);
      expect(script.filter((e) => e.op !== "-").map((e) => e.text)).toEqual(b);
      expect(script.filter((e) => e.op === " ").length).toBe(lcs(a, b));
    }
  });

  test("a replaced line is removed before it is added", () => {
    expect(diffLines(["a", "b", "c"], ["a", "x", "c"]).map((e) => e.op + e.text)).toEqual([" a", "-b", "+x", " c"]);
  });

  test("large, completely different inputs finish", () => {
    const a = Array.from({ length: 3000 }, (_, i) => `a${i}`);
    const b = Array.from({ length: 3000 }, (_, i) => `b${i}`);
    const script = diffLines(a, b);
    expect(script.filter((e) => e.op === "-").length).toBe(3000);
    expect(script.filter((e) => e.op === "+").length).toBe(3000);
  });
});

// ---------------------------------------------------------------------------
// The golden file: a real `pulumi preview --json`
// ---------------------------------------------------------------------------

function loadGolden(): unknown {
  return JSON.parse(readFileSync(join(GOLDEN, "preview.json"), "utf8"));
}

describe("golden: real pulumi preview --json", () => {
  const markdown = renderPreviewMarkdown(loadGolden());

  test("matches preview.md byte for byte", () => {
    const path = join(GOLDEN, "preview.md");
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(path, markdown);
    expect(markdown).toBe(readFileSync(path, "utf8"));
  });

  test("the capture has the expected steps", () => {
    const steps = (loadGolden() as { steps: { op: string; urn: string }[] }).steps;
    const ops = steps.map((s) => `${s.op} ${s.urn.split("::").pop()}`).sort();
    expect(ops).toEqual(["create beta/search", "delete beta/cache", "replace alpha/db", "same nixos-preview-golden-dev", "update alpha/web", "update beta/worker"]);
  });

  test("summary, hosts and containers", () => {
    expect(markdown.split("\n")[0]).toBe("**1 to create, 2 to update, 1 to replace, 1 to delete** across 2 hosts");
    const headings = markdown.split("\n").filter((l) => l.startsWith("###"));
    expect(headings).toEqual([
      "### `alpha.example.internal`",
      "#### `postgres`: replace (was `db`)",
      "#### `web`: update",
      "### `beta.example.internal:2222`",
      "#### `cache`: delete",
      "#### `search`: create",
      "#### `worker`: update",
    ]);
    expect(markdown).toContain("Replaced because `name` changed.");
    expect(markdown).toContain("- `connection.user`: `\"deploy\"` → `\"ops\"`");
    expect(markdown).toContain("- `rebuildAction`: `\"switch\"` → `\"boot\"`");
    expect(markdown).toContain("<details><summary>Nix module (14 lines)</summary>");
    expect(markdown).toContain("Other resources, not detailed: `pulumi:pulumi:Stack` (1 unchanged).");
  });

  test("the edited container's diff has exactly the changed line", () => {
    const section = markdown.split("#### `web`: update")[1].split("\n### ")[0];
    const block = section.split("```diff\n")[1].split("```")[0];
    const changed = block.split("\n").filter((l) => l.startsWith("-") || l.startsWith("+"));
    expect(changed).toEqual([
      '-        listen = [ { addr = "0.0.0.0"; port = 80; } ];',
      '+        listen = [ { addr = "0.0.0.0"; port = 8080; } ];',
    ]);
    expect(block.split("\n").filter((l) => l.startsWith("@@"))).toEqual(["@@ -11,7 +11,7 @@"]);
  });

  test("no secret of the program appears", () => {
    expect(readFileSync(join(GOLDEN, "preview.json"), "utf8")).not.toContain(POISON); // Pulumi blinded them
    expect(markdown).not.toContain(POISON);
    expect(markdown).not.toContain("[secret]"); // unchanged secrets are not even mentioned
  });

  test("credentials that arrive in clear are still never printed", () => {
    const leaky = loadGolden() as { steps: Record<string, any>[] };
    const clearKey = `-----BEGIN OPENSSH PRIVATE KEY-----\n${POISON}-CLEAR-KEY-LINE-0001\n-----END OPENSSH PRIVATE KEY-----\n`;
    let n = 0;
    for (const step of leaky.steps) {
      for (const state of [step.oldState, step.newState]) {
        for (const props of [state?.inputs, state?.outputs]) {
          if (!props || typeof props.connection !== "object") continue;
          const c = props.connection;
          n++;
          // different in old and new, so they count as changed
          c.privateKey = clearKey.replace("0001", String(n).padStart(4, "0"));
          c.password = `${POISON}-password-${n}`;
          c.privateKeyPassphrase = { [SIG]: SIG_VALUE, value: `${POISON}-passphrase-${n}` };
          c.sudoPassword = { [SIG]: SIG_VALUE, plaintext: JSON.stringify(`${POISON}-sudo-${n}`) };
          if (c.jumpHost) c.jumpHost.privateKey = `${POISON}-jump-${n}`;
        }
      }
    }
    // and a key line pasted into a module by mistake shows up in the diff
    const web = leaky.steps.find((s) => s.urn.endsWith("::alpha/web"))!;
    web.newState.inputs.nixConfig = web.newState.inputs.nixConfig.replace("{\n", `{\n  # ${POISON}-CLEAR-KEY-LINE-0002\n`);
    const md = renderPreviewMarkdown(leaky);
    expect(md).not.toContain(POISON);
    expect(md).toContain("- `connection.privateKey`: [secret] → [secret]");
    expect(md).toContain("- `connection.jumpHost.privateKey`: [secret] → [secret]");
    expect(md).toContain("+  # [secret]");
  });

  test("step order does not matter", () => {
    const json = loadGolden() as { steps: unknown[] };
    json.steps.reverse();
    expect(renderPreviewMarkdown(json)).toBe(markdown);
  });
});

// ---------------------------------------------------------------------------
// Synthetic previews for the cases the capture does not cover
// ---------------------------------------------------------------------------

const STACK_URN = "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev";
const urn = (name: string, parent = "") => `urn:pulumi:dev::proj::${parent}${CONTAINER_TYPE}::${name}`;
const MODULE = (name: string, extra = "") => `{ ... }:\n{\n  containers.${name} = {\n    autoStart = true;${extra}\n  };\n}\n`;

function state(inputs: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { type: CONTAINER_TYPE, custom: true, inputs, outputs: {}, ...extra };
}

function conn(host: string, port?: number, more: Record<string, unknown> = {}) {
  return { host, ...(port !== undefined && { port }), user: "root", privateKey: "[secret]", ...more };
}

function preview(steps: unknown[], extra: Record<string, unknown> = {}) {
  return { steps: [{ op: "same", urn: STACK_URN, oldState: { type: "pulumi:pulumi:Stack" }, newState: { type: "pulumi:pulumi:Stack" } }, ...steps], ...extra };
}

describe("renderPreviewMarkdown", () => {
  test("a preview without changes", () => {
    expect(renderPreviewMarkdown(preview([]))).toBe(
      "**No changes to NixOS containers**\n\n---\n\nOther resources, not detailed: `pulumi:pulumi:Stack` (1 unchanged).\n",
    );
    expect(renderPreviewMarkdown({ changeSummary: { same: 0 } })).toBe("**No changes to NixOS containers**\n");
  });

  test("a nixConfig unknown during preview is computed during the update", () => {
    const md = renderPreviewMarkdown(
      preview([
        { op: "create", urn: urn("a"), newState: state({ name: "a", connection: conn("h1"), nixConfig: UNKNOWN_SENTINEL }) },
        { op: "create", urn: urn("b"), newState: state({ name: "b", connection: conn("h1") }) },
        {
          op: "update",
          urn: urn("c"),
          oldState: state({ name: "c", connection: conn("h1"), nixConfig: MODULE("c") }),
          newState: state({ name: "c", connection: conn("h1"), nixConfig: UNKNOWN_SENTINEL, autoStart: UNKNOWN_SENTINEL }),
        },
      ]),
    );
    expect(md).toContain("#### `a`: create\n\nNix module: (computed during the update)\n");
    expect(md).toContain("#### `b`: create\n\nNix module: (computed during the update)\n");
    expect(md).toContain("- `autoStart`: (unset) → (computed during the update)\n\nNix module: (6 lines) → (computed during the update)\n");
  });

  test("hosts: port only when not 22, fallbacks to outputs and id, unknown last, sorted", () => {
    const md = renderPreviewMarkdown(
      preview([
        { op: "create", urn: urn("z"), newState: state({ name: "z", connection: conn("b.example", 22), nixConfig: MODULE("z") }) },
        { op: "create", urn: urn("y"), newState: state({ name: "y", connection: conn("b.example", 2222), nixConfig: MODULE("y") }) },
        {
          op: "delete",
          urn: urn("old"),
          oldState: { ...state({}), id: "a.example:2200/old", outputs: { connection: "[secret]" } },
        },
        { op: "delete", urn: urn("x"), oldState: { ...state({ name: "x", connection: "[secret]" }), outputs: { host: "c.example", connection: "[secret]" } } },
        { op: "create", urn: urn("w"), newState: state({ name: "w", connection: "[secret]", nixConfig: MODULE("w") }) },
      ]),
    );
    const headings = md.split("\n").filter((l) => l.startsWith("###"));
    expect(headings).toEqual([
      "### `a.example:2200`",
      "#### `old`: delete",
      "### `b.example`",
      "#### `z`: create",
      "### `b.example:2222`",
      "#### `y`: create",
      "### `c.example`",
      "#### `x`: delete",
      "### (unknown host)",
      "#### `w`: create",
    ]);
    expect(md.split("\n")[0]).toBe("**3 to create, 2 to delete** across 5 hosts");
  });

  test("a replace that moves to another host says so and why", () => {
    const md = renderPreviewMarkdown(
      preview([
        {
          op: "replace",
          urn: urn("app"),
          replaceReasons: ["connection.host", "connection.port"],
          oldState: state({ name: "app", connection: conn("old.example", 22), nixConfig: MODULE("app") }),
          newState: state({ name: "app", connection: conn("new.example", 2022), nixConfig: MODULE("app") }),
        },
      ]),
    );
    expect(md).toContain(
      [
        "### `new.example:2022`",
        "",
        "#### `app`: replace",
        "",
        "Moves from `old.example`.",
        "",
        "Replaced because `connection.host` and `connection.port` changed.",
        "",
        "- `connection.host`: `\"old.example\"` → `\"new.example\"`",
        "- `connection.port`: `22` → `2022`",
        "",
        "Nix module unchanged.",
      ].join("\n"),
    );
  });

  test("secrets: blinded values, signature objects and credentials print as [secret]", () => {
    const md = renderPreviewMarkdown(
      preview([
        {
          op: "update",
          urn: urn("s"),
          oldState: state({
            name: "s",
            connection: conn("h", 22, { user: "[secret]", password: "hunter2-old", jumpHost: { host: "j", password: "jump-old" } }),
            nixConfig: MODULE("s"),
            token: "plain-before",
            extra: { [SIG]: SIG_VALUE, value: "sig-old" },
          }),
          newState: state({
            name: "s",
            connection: conn("h", 22, { user: "[secret]", password: "hunter2-new", jumpHost: { host: "j", password: "jump-new" } }),
            nixConfig: MODULE("s"),
            token: "[secret]",
            extra: { [SIG]: SIG_VALUE, value: "sig-new" },
            bindMounts: { "/run/keys": { hostPath: "/k", privateKey: "nested-cred" } },
          }),
        },
      ]),
    );
    expect(md).toContain(
      [
        "- `bindMounts`: (unset) → `{\"/run/keys\":{\"hostPath\":\"/k\",\"privateKey\":\"[secret]\"}}`",
        "- `connection.jumpHost.password`: [secret] → [secret]",
        "- `connection.password`: [secret] → [secret]",
        "- `token`: [secret] → [secret]",
      ].join("\n"),
    );
    for (const secret of ["hunter2", "jump-old", "jump-new", "plain-before", "sig-old", "sig-new", "nested-cred"]) expect(md).not.toContain(secret);
    expect(md).not.toContain("connection.user"); // blinded on both sides: cannot tell
    expect(md).not.toContain("`extra`");
  });

  test("an update where only secrets may differ says so", () => {
    const md = renderPreviewMarkdown(
      preview([
        {
          op: "update",
          urn: urn("k"),
          oldState: state({ name: "k", connection: conn("h"), nixConfig: MODULE("k") }),
          newState: state({ name: "k", connection: conn("h"), nixConfig: MODULE("k") }),
        },
      ]),
    );
    expect(md).toContain("#### `k`: update\n\nNix module unchanged; only secret or hidden inputs differ.\n");
  });

  test("same containers are hidden and counted; other types only counted; parent-qualified URNs", () => {
    const md = renderPreviewMarkdown(
      preview([
        { op: "same", urn: urn("quiet", "nixos:index:Fleet$"), oldState: state({ name: "quiet", connection: conn("h") }), newState: state({ name: "quiet", connection: conn("h") }) },
        { op: "create", urn: "urn:pulumi:dev::proj::nixos:index:Fleet::fleet", newState: { type: "nixos:index:Fleet", inputs: {} } },
        { op: "create", urn: "urn:pulumi:dev::proj::pulumi:providers:pulumi-nodejs::default", newState: { type: "pulumi:providers:pulumi-nodejs" } },
        { op: "update", urn: "urn:pulumi:dev::proj::command:remote:Command::c" },
        // no states at all: the type comes from the URN, the name too
        { op: "create", urn: urn("h1/bare", "nixos:index:Fleet$") },
      ]),
    );
    expect(md).toContain("### (unknown host)\n\n#### `h1/bare`: create\n\nNix module: (computed during the update)\n");
    expect(md).not.toContain("quiet");
    expect(md).toContain(
      "1 unchanged container not shown. Other resources, not detailed: `command:remote:Command` (1 to update); `nixos:index:Fleet` (1 to create); `pulumi:providers:pulumi-nodejs` (1 to create); `pulumi:pulumi:Stack` (1 unchanged).",
    );
  });

  test("--show-replacement-steps: one replace per container", () => {
    const old = state({ name: "r", connection: conn("h"), nixConfig: MODULE("r") });
    const nu = state({ name: "r2", connection: conn("h"), nixConfig: MODULE("r2") });
    const steps = [
      { op: "delete-replaced", urn: urn("r"), oldState: old },
      { op: "replace", urn: urn("r"), oldState: old, newState: nu, replaceReasons: ["name"] },
      { op: "create-replacement", urn: urn("r"), oldState: old, newState: nu, replaceReasons: ["name"] },
    ];
    const md = renderPreviewMarkdown(preview(steps));
    expect(md.split("\n")[0]).toBe("**1 to replace** across 1 host");
    expect(md.match(/#### /g)).toHaveLength(1);
    expect(md).toContain("#### `r2`: replace (was `r`)\n\nReplaced because `name` changed.");
    // without the logical step, create-replacement stands for it
    expect(renderPreviewMarkdown(preview([steps[0], steps[2]]))).toBe(md);
  });

  test("backticks in a module get a longer fence; other ops are named as they are", () => {
    const module = "{ ... }:\n{\n  # ```not a fence```\n}\n";
    const md = renderPreviewMarkdown(
      preview([
        { op: "create", urn: urn("t"), newState: state({ name: "t", connection: conn("h"), nixConfig: module }) },
        { op: "import", urn: urn("i"), newState: state({ name: "i", connection: conn("h"), nixConfig: MODULE("i") }) },
      ]),
    );
    expect(md).toContain("````nix\n" + module + "````\n");
    expect(md.split("\n")[0]).toBe("**1 to create, 1 to import** across 1 host");
    expect(md).toContain("#### `i`: import\n");
  });

  test("errors reported by the preview are flagged", () => {
    const md = renderPreviewMarkdown(preview([], { diagnostics: [{ message: "boom", severity: "error" }, { message: "meh", severity: "warning" }] }));
    expect(md).toContain("> **The preview reported 1 error**; the plan may be incomplete (see the CI log).");
    expect(md).not.toContain("boom");
  });

  test("input that is not preview JSON is rejected", () => {
    for (const bad of [null, 3, "x", [], {}, { deployment: {} }, { steps: {} }, { steps: [1] }, { steps: [{ op: "create" }] }, { steps: [{ op: "create", urn: "u", newState: 1 }] }]) {
      expect(() => renderPreviewMarkdown(bad)).toThrow(PreviewJsonError);
    }
    expect(() => renderPreviewMarkdown({ deployment: {} })).toThrow(/pulumi stack export/);
  });

  test("credential keys cover the connection's secret keys", () => {
    for (const key of CONNECTION_SECRET_KEYS) expect(CREDENTIAL_KEYS).toContain(key);
  });
});

describe("previewMdCommand", () => {
  let dir: string;
  let out: string;
  let err: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "preview-md-"));
    out = "";
    err = "";
    jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  test("renders a file", async () => {
    expect(await previewMdCommand([join(GOLDEN, "preview.json")])).toBe(0);
    expect(out).toBe(readFileSync(join(GOLDEN, "preview.md"), "utf8"));
    expect(err).toBe("");
  });

  test("exit 1 with a clear message on input that is not preview JSON", async () => {
    const notJson = join(dir, "log.txt");
    writeFileSync(notJson, "Previewing update (dev):\n");
    expect(await previewMdCommand([notJson])).toBe(1);
    expect(err).toMatch(/log\.txt is not `pulumi preview --json` output: it is not JSON/);

    err = "";
    const wrongJson = join(dir, "state.json");
    writeFileSync(wrongJson, JSON.stringify({ version: 3, deployment: {} }));
    expect(await previewMdCommand([wrongJson])).toBe(1);
    expect(err).toMatch(/state\.json: not `pulumi preview --json` output.*pulumi stack export/);

    err = "";
    const empty = join(dir, "empty.json");
    writeFileSync(empty, "");
    expect(await previewMdCommand([empty])).toBe(1);
    expect(err).toMatch(/is not `pulumi preview --json` output: it is empty/);
    expect(out).toBe("");
  });

  test("a missing file and bad usage", async () => {
    expect(await previewMdCommand([join(dir, "nope.json")])).toBe(1);
    expect(err).toMatch(/cannot read .*nope\.json: ENOENT/);
    expect(await previewMdCommand(["a", "b"])).toBe(2);
    expect(await previewMdCommand(["--help"])).toBe(0);
    expect(out).toContain("usage: nixos-containers preview-md [FILE]");
  });
});

describe("renderPreviewMarkdown of a NixosHost", () => {
  const HOST_URN = "urn:pulumi:dev::proj::nixos:index:Fleet$pulumi-nodejs:dynamic/nixos:NixosHost::host1";
  const hostState = (containers: Record<string, Record<string, unknown>>, outputs: Record<string, Record<string, unknown>> = {}) => ({
    type: "pulumi-nodejs:dynamic/nixos:NixosHost",
    id: "10.0.0.5",
    inputs: { connection: conn("10.0.0.5"), containers, rebuildAction: "switch" },
    outputs: { connection: conn("10.0.0.5"), containers: outputs },
  });

  test("each container of the host is one change: added, removed and changed ones, the unchanged counted", () => {
    const old = hostState(
      { web: { name: "web", nixConfig: MODULE("web") }, db: { name: "db", nixConfig: MODULE("db") }, old: { name: "old", nixConfig: MODULE("old") } },
      { web: { name: "web", status: "up" }, db: { name: "db", status: "up" }, old: { name: "old", status: "up" } },
    );
    const nu = hostState({ web: { name: "web", nixConfig: MODULE("web", "\n    ephemeral = true;") }, db: { name: "db", nixConfig: MODULE("db") }, new: { name: "new", nixConfig: MODULE("new") } });
    const md = renderPreviewMarkdown(preview([{ op: "update", urn: HOST_URN, oldState: old, newState: nu }]));
    expect(md.split("\n")[0]).toBe("**1 to create, 1 to update, 1 to delete** across 1 host");
    expect(md).toContain("### `10.0.0.5`");
    expect(md).toContain("#### `new`: create");
    expect(md).toContain("#### `old`: delete");
    expect(md).toMatch(/#### `web`: update\n\n```diff\n[\s\S]*\+    ephemeral = true;\n/);
    expect(md).not.toContain("#### `db`");
    expect(md).toContain("1 unchanged container not shown.");
    expect(md).not.toContain(POISON);
  });

  test("a new host creates every container; a removed one deletes them", () => {
    const created = renderPreviewMarkdown(preview([{ op: "create", urn: HOST_URN, newState: hostState({ a: { name: "a", nixConfig: MODULE("a") }, b: { name: "b", nixConfig: MODULE("b") } }) }]));
    expect(created.split("\n")[0]).toBe("**2 to create** across 1 host");
    expect(created).toContain("<details><summary>Nix module");
    const deleted = renderPreviewMarkdown(preview([{ op: "delete", urn: HOST_URN, oldState: hostState({ a: { name: "a", nixConfig: MODULE("a") } }, { a: { name: "a" } }) }]));
    expect(deleted.split("\n")[0]).toBe("**1 to delete** across 1 host");
  });
});

describe("renderPreviewMarkdown of a NixosFleet", () => {
  const FLEET_URN = "urn:pulumi:dev::proj::nixos:index:Fleet$pulumi-nodejs:dynamic/nixos:NixosFleet::fleet";
  type Entries = Record<string, Record<string, unknown>>;
  /** A fleet's state: its hosts (containers by key) and, beside them, their connections. */
  const fleetState = (hosts: Record<string, Entries>, outputs: Record<string, Entries> = {}) => ({
    type: "pulumi-nodejs:dynamic/nixos:NixosFleet",
    id: "fleet",
    inputs: {
      hosts: Object.fromEntries(Object.entries(hosts).map(([h, containers]) => [h, { containers, rebuildAction: "switch" }])),
      connections: Object.fromEntries(Object.keys(hosts).map((h, i) => [h, conn(`10.0.0.${i + 1}`)])),
    },
    outputs: {
      hosts: Object.fromEntries(Object.entries(outputs).map(([h, containers], i) => [h, { host: `10.0.0.${i + 1}`, containers }])),
      connections: "[secret]",
    },
  });

  test("each host's containers are changes under that host; a host new to the fleet creates its containers, one that left deletes them", () => {
    const old = fleetState(
      { h1: { web: { name: "web", nixConfig: MODULE("web") } }, h2: { db: { name: "db", nixConfig: MODULE("db") } }, h3: { gone: { name: "gone", nixConfig: MODULE("gone") } } },
      { h1: { web: { name: "web", status: "up" } }, h2: { db: { name: "db", status: "up" } }, h3: { gone: { name: "gone", status: "up" } } },
    );
    const nu = fleetState({ h1: { web: { name: "web", nixConfig: MODULE("web", "\n    ephemeral = true;") } }, h2: { db: { name: "db", nixConfig: MODULE("db") } }, h4: { fresh: { name: "fresh", nixConfig: MODULE("fresh") } } });
    // The new inputs name h4 as the fourth connection's host: give it its own address.
    (nu.inputs.connections as Record<string, unknown>).h4 = conn("10.0.0.4");
    const md = renderPreviewMarkdown(preview([{ op: "update", urn: FLEET_URN, oldState: old, newState: nu }]));
    expect(md.split("\n")[0]).toBe("**1 to create, 1 to update, 1 to delete** across 3 hosts");
    expect(md).toMatch(/### `10\.0\.0\.1`\n\n#### `web`: update\n\n```diff\n[\s\S]*\+    ephemeral = true;\n/);
    expect(md).toMatch(/### `10\.0\.0\.3`\n\n#### `gone`: delete/);
    expect(md).toMatch(/### `10\.0\.0\.4`\n\n#### `fresh`: create/);
    expect(md).not.toContain("#### `db`");
    expect(md).toContain("1 unchanged container not shown.");
    expect(md).not.toContain(POISON);
  });
});

/**
 * The package as a user gets it, in a project of their own outside this repository (README,
 * "Use it in your project"): the release tarball of `make release` installed with npm into a
 * new project with the README's own Pulumi.yaml and index.ts, `pulumi up` on the simulated
 * fleet, `npx nixos-containers ls`, `pulumi destroy`; and the package installed from a git
 * URL, which npm builds through its `prepare` script.
 *
 * npm runs as a user runs it, with their npm cache (--prefer-offline: what `make install`
 * fetched is not fetched again) and none of the npm_* variables of the `npx jest` around it.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Fleet, startFleet } from "../hosts/helpers";
import { PulumiStack } from "../support/pulumi-cli";

const ROOT = join(__dirname, "..", "..");
const PULUMI = join(ROOT, ".tools", "bin", "pulumi");
const VERSION: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const TARBALL = `pulumi-nixos-containers-${VERSION}.tgz`;
const STACK = "dev";
// npm installs and builds take minutes on a loaded machine; the spawned commands have limits of their own.
jest.setTimeout(600_000);

/** The environment of a user's shell: no npm_* variables from the `npx jest` that runs this. */
const userEnv = (base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(base).filter(([k]) => !/^npm_/i.test(k)));

function run(cmd: string, args: string[], cwd: string, options: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const r = spawnSync(cmd, args, { cwd, env: options.env ?? userEnv(), input: options.input, encoding: "utf8", timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "", all: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

function must(cmd: string, args: string[], cwd: string, options: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const r = run(cmd, args, cwd, options);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.code}:\n${r.all}`);
  return r;
}

/** The README's fenced block that starts with `firstLine` (a file name as a comment). */
function readmeFile(firstLine: string): string {
  // Split at every fence line, opening and closing: a piece that starts a block is the whole block.
  const block = README.split(/^```\w*\n/m).find((b) => b.startsWith(`${firstLine}\n`));
  if (!block) throw new Error(`README.md has no code block starting with "${firstLine}"`);
  return block;
}

/** The arguments of the README's `npm install <source> …` line whose source starts with `source`. */
function readmeInstall(source: string): string[] {
  const line = README.split("\n").find((l) => l.startsWith(`npm install ${source}`));
  if (!line) throw new Error(`README.md has no "npm install ${source}…" line`);
  return line.trim().split(/\s+/).slice(2);
}

/** A new project as the README makes it: npm init, then its Pulumi.yaml and index.ts. */
function newProject(parent: string): string {
  const dir = join(parent, "my-infra");
  mkdirSync(dir, { recursive: true });
  must("npm", ["init", "-y"], dir);
  writeFileSync(join(dir, "Pulumi.yaml"), readmeFile("# Pulumi.yaml"));
  writeFileSync(join(dir, "index.ts"), readmeFile("// index.ts"));
  return dir;
}

const npmInstall = (dir: string, args: string[]) => must("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...args], dir);

/** The README's stack commands: a stack, the host and its key, the SSH key as a secret from stdin. */
function pointAt(stack: PulumiStack, host: string, hostKey: string, privateKey: string): void {
  stack.init();
  stack.must(["config", "set", "--stack", STACK, "host", host]);
  stack.must(["config", "set", "--stack", STACK, "hostKey", hostKey]);
  // `pulumi config set --secret sshKey < ~/.ssh/id_ed25519` as written: no --raw, so the CLI trims the last newline.
  must(PULUMI, ["config", "set", "--stack", STACK, "--secret", "sshKey", "--non-interactive"], stack.projectDir, { env: stack.env, input: privateKey });
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "e2e-install-"));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("from the release tarball, in a new project", () => {
  let fleet: Fleet;
  let stack: PulumiStack | undefined;
  let release: string;
  let project: string;
  beforeAll(() => {
    fleet = startFleet(148, 1);
    release = join(work, "release");
    must(join(ROOT, "scripts", "release.sh"), [], ROOT, { env: { ...userEnv(), RELEASE_DIR: release } });
  });
  afterAll(() => {
    stack?.remove();
    fleet?.down();
  });

  it("make release writes the versioned npm tarball, plugin tarball and Python wheel, and a SHA256SUMS file that checks them", () => {
    const artefacts = [TARBALL, `pulumi-resource-nixos-v${VERSION}-linux-amd64.tar.gz`, `pulumi_nixos_containers-${VERSION}-py3-none-any.whl`];
    const sums = artefacts.map((f) => `[0-9a-f]{64}  ${f.replace(/\./g, "\\.")}\n`).join("");
    expect(readFileSync(join(release, "SHA256SUMS"), "utf8")).toMatch(new RegExp(`^${sums}$`));
    expect(must("sha256sum", ["-c", "SHA256SUMS"], release).stdout).toBe(artefacts.map((f) => `${f}: OK\n`).join(""));
    // The package holds what it runs on, and nothing else of the repository (no tests, no release/).
    const files = must("tar", ["-tzf", TARBALL], release).stdout.trim().split("\n");
    expect(files).toEqual(expect.arrayContaining(["package/package.json", "package/dist/sdk/index.js", "package/dist/provider/cli/main.js", "package/schema.json", "package/CHANGELOG.md"]));
    expect(files.filter((f) => !/^package\/(dist\/(provider|sdk)\/.*|dist\/schema\.json|schema\.json|package\.json|README\.md|CHANGELOG\.md)$/.test(f))).toEqual([]);
  });

  it("npm installs it with the README's command and links its command into the project", () => {
    project = newProject(work);
    const [source, ...rest] = readmeInstall("/path/to/pulumi-nixos-containers-");
    expect(source).toBe(`/path/to/${TARBALL}`);
    npmInstall(project, [join(release, TARBALL), ...rest]);
    expect(must("npx", ["--no-install", "nixos-containers", "--version"], project).stdout).toBe(`${VERSION}\n`);
    // One @pulumi/pulumi, the project's: the package's dependency is met by it, not by a copy of its own.
    expect(existsSync(join(project, "node_modules", "pulumi-nixos-containers", "node_modules", "@pulumi"))).toBe(false);
  });

  it("pulumi preview --diff shows the new container and contacts no host; pulumi up creates it; npx nixos-containers ls and run reach it", () => {
    const h = fleet.host(1);
    stack = new PulumiStack(project, STACK);
    pointAt(stack, h.address, h.hostKey, readFileSync(h.users.root.privateKeyPath, "utf8"));
    const sessions = fleet.sshLog(1).length;
    const preview = stack.preview("--diff");
    expect(preview.code).toBe(0);
    expect(preview.all).toMatch(/\+ pulumi-nodejs:dynamic\/nixos:NixosHost: \(create\)/);
    expect(preview.all).toMatch(/nixConfig +: "# Managed by pulumi-nixos-containers\. Container \\"hello\\"/);
    expect(fleet.sshLog(1).length).toBe(sessions);

    const up = stack.up();
    expect(up.code).toBe(0);
    expect(up.all).toMatch(/\+ 2 created/);
    expect(stack.outputs()).toEqual({ helloStatus: "up" });
    expect(fleet.unitState(1, "hello").state).toBe("active");
    expect(fleet.ok(1, "cat /etc/nixos/pulumi-containers/hello.nix")).toContain("Hello from Pulumi");

    // As the README has them: no --stack, the stack `pulumi stack init` selected.
    const ls = run("npx", ["nixos-containers", "ls"], project, { env: userEnv(stack.env) });
    expect(ls.stderr).toBe("");
    expect(ls.code).toBe(0);
    // HOST is the NixosHost's resource name.
    expect(ls.stdout.trim().split("\n").map((l) => l.split(/\s{2,}/))).toEqual([
      ["HOST", "NAME", "STATUS", "ADDRESS", "SYSTEM", "DRIFT"],
      ["host1", "hello", "up", "-", expect.stringMatching(/-nixos-system-hello-/), "no"],
    ]);
    const hostname = run("npx", ["nixos-containers", "run", "hello", "--", "hostname"], project, { env: userEnv(stack.env) });
    expect([hostname.code, hostname.stdout, hostname.stderr]).toEqual([0, "hello\n", ""]);
  });

  it("installed globally, the command is on PATH and reads the project named by --cwd", () => {
    const prefix = join(work, "global");
    must("npm", ["install", "--global", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", join(release, TARBALL)], work);
    const env = userEnv({ ...stack!.env, PATH: `${join(prefix, "bin")}:${stack!.env.PATH}` });
    const r = run("nixos-containers", ["ls", "--json", "--cwd", project], work, { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((c: { name: string; status: string }) => [c.name, c.status])).toEqual([["hello", "up"]]);
  });

  it("pulumi destroy removes the container from the host", () => {
    const destroyed = stack!.run(["destroy", "--yes", "--stack", STACK]);
    expect(destroyed.code).toBe(0);
    expect(destroyed.all).toMatch(/- 2 deleted/);
    expect(fleet.ok(1, "ls /etc/nixos/pulumi-containers").trim()).toBe("default.nix");
  });
});

describe("from git", () => {
  it("npm builds dist/ through `prepare`; the command runs and the README's program previews", () => {
    // The repository as one commit of this working tree (tracked files and new ones, as
    // `git add -A` takes them): what is tested is what would be committed.
    const repo = join(work, "src", "pulumi-nixos-containers");
    const files = must("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT)
      .stdout.split("\0")
      .filter((f) => f && existsSync(join(ROOT, f)));
    for (const f of files) {
      mkdirSync(dirname(join(repo, f)), { recursive: true });
      cpSync(join(ROOT, f), join(repo, f), { verbatimSymlinks: true });
    }
    expect(existsSync(join(repo, "dist"))).toBe(false);
    const git = (...args: string[]) => must("git", ["-c", "user.name=e2e", "-c", "user.email=e2e@example.org", ...args], repo);
    git("init", "-q");
    git("add", "-A");
    git("commit", "-q", "-m", "snapshot");
    git("tag", `v${VERSION}`);

    const project = newProject(join(work, "from-git"));
    const [source, ...rest] = readmeInstall('"git+');
    expect(source).toMatch(new RegExp(`#v${VERSION.replace(/\./g, "\\.")}"$`));
    npmInstall(project, [`git+file://${repo}#v${VERSION}`, ...rest]);

    const pkg = join(project, "node_modules", "pulumi-nixos-containers");
    expect(existsSync(join(pkg, "dist", "sdk", "index.js"))).toBe(true);
    expect(existsSync(join(pkg, "tsconfig.json"))).toBe(false); // npm installs what it packed from its clone, not the clone
    expect(must("npx", ["--no-install", "nixos-containers", "--version"], project).stdout).toBe(`${VERSION}\n`);

    // Preview contacts no host: a key of its own and an address nobody answers on (TEST-NET-1).
    must("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(work, "key")], work);
    const stack = new PulumiStack(project, STACK);
    try {
      pointAt(stack, "192.0.2.1", readFileSync(join(work, "key.pub"), "utf8").trim(), readFileSync(join(work, "key"), "utf8"));
      const preview = stack.preview("--diff");
      expect(preview.code).toBe(0);
      expect(preview.all).toMatch(/\+ pulumi-nodejs:dynamic\/nixos:NixosHost: \(create\)/);
      expect(preview.all).toContain("Hello from Pulumi");
    } finally {
      stack.remove();
    }
  });
});

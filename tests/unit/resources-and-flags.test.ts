/**
 * What `nixos-containers validate` (and every create/update) says about
 * resources, extraFlags and misspelt property names, before any host is touched.
 */
import { validateContainer, formatProblems } from "../../provider/container/validate";
import { NSPAWN_OPTIONS } from "../../provider/container/nspawn-options";
import { spec } from "../support/specs";

function problems(overrides: Record<string, unknown>): string[] {
  return formatProblems(validateContainer(spec(overrides)).errors);
}
const resources = (r: Record<string, unknown>) => problems({ resources: r });

describe("resources: the units systemd accepts", () => {
  const cases: [string, unknown[], unknown[], RegExp][] = [
    ["memoryMax", ["1G", "512M", "1.5G", "2048K", "1073741824", "25%", "100%", "infinity", "8T"], ["1GB", "1g", "512MiB", "-1G", "150%", "", "1 G", "unlimited"], /memoryMax: expected a size in bytes/],
    ["memoryHigh", ["768M", "50%", "infinity"], ["768MB", "lots"], /memoryHigh: expected a size in bytes/],
    ["memorySwapMax", ["0", "1G", "infinity"], ["none", "1Gb"], /memorySwapMax: expected a size in bytes/],
    ["cpuQuota", ["50%", "200%", "12.5%", "1%"], ["50", "0%", "0.5", "half", "50 %"], /cpuQuota: expected a percentage of one CPU/],
    ["cpuWeight", [1, 100, 10000], [0, 10001, 1.5, "100", "idle"], /cpuWeight: expected a CPU weight/],
    ["allowedCPUs", ["0", "0-3", "0,2,4-7", "1 3"], ["3-1", "0-", "a", "0;1", ""], /allowedCPUs: expected CPU indices/],
    ["tasksMax", [1, 512, "512", "10%", "infinity"], [0, -5, "0", "10 %", "unlimited", 1.5], /tasksMax: expected/],
    ["ioWeight", [1, 100, 10000], [0, 10001, "100"], /ioWeight: expected an IO weight/],
  ];
  describe.each(cases)("%s", (field, good, bad, message) => {
    test.each(good.map((v) => [v]))("accepts %p", (value) => {
      expect(resources({ [field]: value })).toEqual([]);
    });
    test.each(bad.map((v) => [v]))("refuses %p, saying what a valid value looks like", (value) => {
      const found = resources({ [field]: value });
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(new RegExp(`^resources\\.${message.source}`));
    });
  });

  test("a number where systemd wants a unit says so", () => {
    expect(resources({ memoryMax: 1024, cpuQuota: 50 })).toEqual([
      "resources.cpuQuota: expected a string, got number 50",
      "resources.memoryMax: expected a string, got number 1024",
    ]);
  });

  test("an unknown field inside resources names the nearest one", () => {
    expect(resources({ memoryLimit: "1G" })).toEqual(['resources.memoryLimit: unknown property; did you mean "memoryMax"?']);
    expect(resources({ cpus: "0-1" })).toEqual(['resources.cpus: unknown property; did you mean "allowedCPUs"?']);
  });

  test("memoryHigh above memoryMax is called out; comparable sizes only", () => {
    const warned = (r: Record<string, unknown>) => formatProblems(validateContainer(spec({ resources: r })).warnings);
    expect(warned({ memoryHigh: "2G", memoryMax: "1536M" })).toEqual([
      "resources.memoryHigh: memoryHigh (2G) is above memoryMax (1536M): the container hits the hard limit (and the OOM killer) before it is ever throttled; set memoryHigh below memoryMax",
    ]);
    expect(warned({ memoryHigh: "1G", memoryMax: "1.5G" })).toEqual([]);
    expect(warned({ memoryHigh: "50%", memoryMax: "1G" })).toEqual([]);
    expect(warned({ memoryHigh: "2G", memoryMax: "infinity" })).toEqual([]);
  });

  test("a slice in the container's own config is called out: it does not limit the container", () => {
    const result = validateContainer(spec({ config: { systemd: { slices: { container: { sliceConfig: { CPUQuota: "50%" } } } } } }));
    expect(result.errors).toEqual([]);
    expect(formatProblems(result.warnings)).toEqual([
      `config.systemd.slices: a slice in the container's own config shapes units inside the container, not the container itself; to limit the whole container, use resources (e.g. resources: { cpuQuota: "50%", memoryMax: "1G" })`,
    ]);
  });
});

describe("extraFlags: checked against systemd-nspawn's option table", () => {
  const flags = (...f: string[]) => problems({ extraFlags: f });

  test("real options pass, with a value exactly when they take one", () => {
    expect(flags("--drop-capability=CAP_SYS_CHROOT", "--read-only", "--volatile", "--volatile=overlay", "--setenv=FOO=bar", "-Efoo=bar", "--no-new-privileges=yes", "--rlimit=RLIMIT_NOFILE=4096", "-q", "--resolv-conf=off")).toEqual([]);
  });

  test("the issue's --memory-limit is refused with a pointer to resources", () => {
    expect(flags("--memory-limit=1G")).toEqual([
      "extraFlags[0]: systemd-nspawn has no option --memory-limit: it would fail to start the container. Limits of the whole container are settings of its host unit; use resources.memoryMax",
    ]);
  });

  test.each([
    ["--memory=512M", "memoryMax"],
    ["--memory-max=1G", "memoryMax"],
    ["--memory-high=1G", "memoryHigh"],
    ["--memory-swap=0", "memorySwapMax"],
    ["--cpu-quota=50%", "cpuQuota"],
    ["--cpus=2", "cpuQuota"],
    ["--cpu-shares=512", "cpuWeight"],
    ["--cpuset-cpus=0-1", "allowedCPUs"],
    ["--pids-limit=100", "tasksMax"],
    ["--tasks-max=100", "tasksMax"],
    ["--blkio-weight=100", "ioWeight"],
  ])("resource-like %s points to resources.%s", (flag, field) => {
    expect(flags(flag)).toEqual([expect.stringMatching(new RegExp(`^extraFlags\\[0\\]: systemd-nspawn has no option ${flag.split("=")[0]}: .* use resources\\.${field}$`))]);
  });

  test("an unknown option names the nearest real one", () => {
    expect(flags("--drop-capabilty=CAP_SYS_ADMIN")).toEqual(["extraFlags[0]: systemd-nspawn has no option --drop-capabilty: it would fail to start the container; did you mean --drop-capability?"]);
    expect(flags("--frobnicate")).toEqual(["extraFlags[0]: systemd-nspawn has no option --frobnicate: it would fail to start the container"]);
    expect(flags("-X")[0]).toMatch(/^extraFlags\[0\]: systemd-nspawn has no option -X: .* its one-letter options are -h, -D/);
  });

  test("--property= explains --keep-unit and points to resources", () => {
    expect(flags("--property=MemoryMax=1G")).toEqual([
      'extraFlags[0]: systemd-nspawn applies --property= only to a scope unit of its own, and NixOS starts it with --keep-unit inside container@NAME.service, so it would limit nothing; set the limit with resources (e.g. resources: { memoryMax: "1G" })',
    ]);
  });

  test.each([
    ["-D/srv/root", /NixOS passes -D .*use path or config/],
    ["--directory=/srv/root", /NixOS passes -D/],
    ["--image=/srv/img.raw", /NixOS passes -D/],
    ["-M", /NixOS passes -M with the container name; rename the container with name instead/],
    ["--machine=other", /rename the container with name/],
    ["--keep-unit", /NixOS already passes --keep-unit/],
    ["--notify-ready=no", /already passes --notify-ready=yes/],
    ["--kill-signal=SIGTERM", /already passes --kill-signal=SIGRTMIN\+3/],
    ["--link-journal=no", /already passes --link-journal=try-guest/],
    ["-j", /already passes --link-journal=try-guest/],
    ["--boot", /starts the container's NixOS init itself/],
    ["-b", /starts the container's NixOS init itself/],
    ["--as-pid2", /as PID 1/],
    ["--ephemeral", /use ephemeral: true/],
    ["-x", /use ephemeral: true/],
    ["-qx", /use ephemeral: true/],
    ["--private-network", /use privateNetwork: true/],
    ["--network-veth", /hostAddress and localAddress/],
    ["-n", /hostAddress and localAddress/],
    ["--network-bridge=br0", /use privateNetwork: true with hostBridge/],
    ["--network-veth-extra=vx", /use extraVeths/],
    ["--network-interface=eth1", /use interfaces/],
    ["--network-macvlan=eth1", /use macvlans/],
    ["--network-namespace-path=/run/netns/x", /use networkNamespace/],
    ["--port=8080", /use forwardPorts/],
    ["-p8080", /use forwardPorts/],
    ["--bind=/srv:/srv", /use bindMounts \(with isReadOnly: false\)/],
    ["--bind-ro=/srv", /use bindMounts/],
    ["--tmpfs=/var", /use tmpfs/],
    ["--capability=CAP_NET_ADMIN", /use additionalCapabilities/],
    ["--private-users=pick", /use privateUsers/],
    ["-U", /use privateUsers/],
    ["--slice=other.slice", /nspawn ignores --slice/],
    ["--register=no", /registered with systemd-machined/],
    ["--help", /prints the help text/],
    ["--version", /prints the version/],
  ])("%s is refused with what to use instead", (flag, message) => {
    const found = flags(flag);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^extraFlags\[0\]: -+[A-Za-z0-9-]+ is refused: /);
    expect(found[0]).toMatch(message);
  });

  test("an option that takes a value must carry it in the same item, one that takes none must not", () => {
    expect(flags("--setenv", "-E", "--read-only=yes", "-qZ")).toEqual([
      "extraFlags[0]: --setenv takes a value: write it as one item, --setenv=VALUE",
      "extraFlags[1]: -E takes a value: write it as one item, -EVALUE",
      "extraFlags[2]: --read-only takes no value; write --read-only alone",
      "extraFlags[3]: -q takes no value; write -q alone",
    ]);
  });

  test("values still pass the NAME.conf safety rules first", () => {
    expect(flags("--setenv=A=$(id)")).toEqual([expect.stringMatching(/^extraFlags\[0\]: expected one systemd-nspawn flag .*without spaces, quotes or shell special characters/)]);
    expect(flags("--setenv=A B")).toHaveLength(1);
  });

  test("the table has no resource options nspawn lacks, and the options NixOS passes", () => {
    for (const missing of ["memory-limit", "memory-max", "cpu-quota", "cpus"]) expect(NSPAWN_OPTIONS[missing]).toBeUndefined();
    for (const [option, argument] of Object.entries({ "keep-unit": "none", machine: "required", directory: "required", "notify-ready": "required", "kill-signal": "required", "link-journal": "required", "bind-ro": "required", ephemeral: "none", "private-users": "optional", property: "required" })) {
      expect(NSPAWN_OPTIONS[option]).toBe(argument);
    }
  });
});

describe("unknown properties: suggestions also when the edit distance is large", () => {
  test.each([
    ["ephemeralRootfs", "ephemeral"],
    ["memoryLimit", "resources.memoryMax"],
    ["ports", "forwardPorts"],
    ["cpuQuota", "resources.cpuQuota"],
    ["tasksMax", "resources.tasksMax"],
    ["autostart", "autoStart"],
    ["bindMount", "bindMounts"],
  ])("%s → %s", (key, suggestion) => {
    expect(problems({ [key]: true })).toEqual([`${key}: unknown property; did you mean "${suggestion}"?`]);
  });

  test("a name like no known one lists the known properties", () => {
    expect(problems({ zzqx: 1 })[0]).toMatch(/^zzqx: unknown property; known properties: name, connection/);
  });
});

/** Parsing the line-oriented output of the remote scripts (scripts.ts). */

export interface ContainerFacts {
  /** Module file content, or null when there is none. */
  module?: string | null;
  /** The owner record beside the module (ownership.ts), or null when there is none. */
  owner?: string | null;
  /** /etc/nixos-containers/NAME.conf content, or null when there is none. */
  conf?: string | null;
  /** `systemctl is-active` of container@NAME: active, inactive, failed, activating, … */
  active?: string;
  /** The per-container profile's system (flake containers), or null. */
  profile?: string | null;
  /** The system the running container runs (its /run/current-system), or null when it does not run. */
  running?: string | null;
  /** `systemctl show` properties of container@NAME (ops-scripts.ts). */
  unit?: Map<string, string>;
  /** Journal lines (ops-scripts.ts: the last lines of a failed unit). */
  journal?: string[];
  /** container@NAME.service as `systemctl cat` prints it, or null when there is none (unit-change.ts). */
  unitFile?: string | null;
  /** Its secret files on the host (secrets-scripts.ts report_secrets), or null when it has no secrets directory. */
  secrets?: HostSecretFile[] | null;
}

/** A secret file as the host reports it: never its content, only its sha256. */
export interface HostSecretFile {
  file: string;
  sha256: string;
  /** Octal, as stat prints it ("400"). */
  mode: string;
  /** As the container sees them: name ("-" when it has none) and id. */
  owner: { name: string; id: number };
  group: { name: string; id: number };
}

export interface ScriptReport {
  /** `KEYWORD rest` lines that are not about one container (LOCK, FLAKE, …), by keyword. */
  fields: Map<string, string>;
  containers: Map<string, ContainerFacts>;
  /** `DID name action status` lines. */
  actions: { name: string; action: string; status: number }[];
  /** `DATA name outcome` lines. */
  data: Map<string, string>;
  recovered: string[];
  complete: boolean;
  /** Lines that are none of the above (command output). */
  other: string[];
}

function decode(b64: string): string | null {
  return b64 === "-" || b64 === "" ? null : Buffer.from(b64, "base64").toString("utf8");
}

export function parseReport(stdout: string): ScriptReport {
  const report: ScriptReport = { fields: new Map(), containers: new Map(), actions: [], data: new Map(), recovered: [], complete: false, other: [] };
  const facts = (name: string): ContainerFacts => {
    let f = report.containers.get(name);
    if (!f) report.containers.set(name, (f = {}));
    return f;
  };
  for (const line of stdout.split("\n")) {
    const [keyword, first = "", ...rest] = line.split(" ");
    const tail = rest.join(" ");
    switch (keyword) {
      case "MODULE":
        facts(first).module = decode(tail);
        break;
      case "OWNER":
        facts(first).owner = decode(tail);
        break;
      case "CONF":
        facts(first).conf = decode(tail);
        break;
      case "ACTIVE":
        facts(first).active = tail || "unknown";
        break;
      case "UNITFILE":
        facts(first).unitFile = decode(tail);
        break;
      case "PROFILE":
        facts(first).profile = tail === "-" ? null : tail;
        break;
      case "RUNNING":
        facts(first).running = tail === "-" || tail === "" ? null : tail;
        break;
      case "UNIT": {
        const eq = tail.indexOf("=");
        if (eq > 0) (facts(first).unit ??= new Map()).set(tail.slice(0, eq), tail.slice(eq + 1));
        break;
      }
      case "SECRETDIR":
        facts(first).secrets = tail === "-" ? null : [];
        break;
      case "SECRETFILE": {
        const [file, sha256, mode, owner, group] = rest;
        const account = (v = "") => ({ name: v.slice(0, v.lastIndexOf(":")), id: Number(v.slice(v.lastIndexOf(":") + 1)) });
        (facts(first).secrets ??= []).push({ file, sha256, mode, owner: account(owner), group: account(group) });
        break;
      }
      case "JOURNAL":
        (facts(first).journal ??= []).push(decode(tail) ?? "");
        break;
      case "DID":
        report.actions.push({ name: first, action: rest[0], status: Number(rest[1]) });
        break;
      case "DATA":
        report.data.set(first, tail);
        break;
      case "RECOVERED":
        report.recovered.push(first);
        break;
      case "END":
        report.complete = true;
        break;
      case "LOCK":
      case "HOSTNAME":
      case "FLAKE":
      case "IMPORTED":
      case "WRITABLE":
      case "MANAGED":
      case "SYSPROFILE":
      case "PROFILE_RESTORED":
        report.fields.set(keyword, [first, ...rest].join(" "));
        break;
      default:
        if (line !== "") report.other.push(line);
    }
  }
  return report;
}

/** Variables of a NAME.conf file (reference C.2), unquoted. */
export function parseConf(conf: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of conf.split("\n")) {
    const m = /^([A-Z_0-9]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2];
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    vars.set(m[1], value);
  }
  return vars;
}

/** The conf without SYSTEM_PATH: what must stay equal for an in-place reload to be enough. */
export function hostSideSettings(conf: string | null | undefined): string {
  if (!conf) return "";
  return [...parseConf(conf)].filter(([k]) => k !== "SYSTEM_PATH").map(([k, v]) => `${k}=${v}`).sort().join("\n");
}

/** The container's address without prefix, as `nixos-container show-ip` prints it. */
export function addressFromConf(conf: string | null | undefined): string | undefined {
  if (!conf) return undefined;
  const vars = parseConf(conf);
  const address = vars.get("LOCAL_ADDRESS") || vars.get("LOCAL_ADDRESS6");
  return address ? address.split("/")[0] : undefined;
}

/**
 * Process-tree inspection through /proc only: the descendants of a pid we
 * spawned (by ppid links, never by process name), a sampler of one
 * descendant's memory (VmHWM = peak resident set, VmRSS), and machine CPU
 * counters.
 */
import { readdirSync, readFileSync } from "node:fs";

/** ppid of every live process, from /proc/PID/stat (comm may hold spaces and parentheses). */
function parentMap(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // the process exited while we looked
    }
  }
  return parents;
}

export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parentMap()) {
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    for (const child of children.get(stack.pop()!) ?? []) {
      out.push(child);
      stack.push(child);
    }
  }
  return out;
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

/** VmHWM and VmRSS of a process in kB, or undefined once it is gone. */
export function memoryOf(pid: number): { hwmKb: number; rssKb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    const hwmKb = kb("VmHWM");
    const rssKb = kb("VmRSS");
    return Number.isNaN(hwmKb) ? undefined : { hwmKb, rssKb };
  } catch {
    return undefined;
  }
}

export interface ProcessPeak {
  pid: number;
  cmdline: string;
  /** Largest VmHWM seen (the kernel's own peak RSS of the process). */
  hwmKb: number;
  /** Largest VmRSS seen by a sample. */
  rssMaxKb: number;
  samples: number;
}

/**
 * Samples, every `intervalMs`, the memory of each descendant of `root` whose
 * command line matches. The Pulumi dynamic provider is the `node …/cmd/dynamic-provider`
 * process under `pulumi-resource-pulumi-nodejs`.
 */
export class DescendantMemorySampler {
  private readonly peaks = new Map<number, ProcessPeak>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly root: number,
    private readonly match: (cmdline: string) => boolean,
    private readonly intervalMs = 100,
  ) {}

  start(): this {
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.sample();
    return this;
  }

  sample(): void {
    // Once the process is known, its status file is enough; walk the tree only until then (or for new ones).
    const known = [...this.peaks.keys()];
    const pids = known.length > 0 && this.peaks.size > 0 && known.every((p) => memoryOf(p) !== undefined) ? known : descendants(this.root);
    for (const pid of pids) {
      let peak = this.peaks.get(pid);
      if (!peak) {
        const line = cmdline(pid);
        if (!this.match(line)) continue;
        peak = { pid, cmdline: line, hwmKb: 0, rssMaxKb: 0, samples: 0 };
        this.peaks.set(pid, peak);
      }
      const mem = memoryOf(pid);
      if (!mem) continue;
      peak.hwmKb = Math.max(peak.hwmKb, mem.hwmKb);
      peak.rssMaxKb = Math.max(peak.rssMaxKb, mem.rssKb);
      peak.samples++;
    }
  }

  stop(): ProcessPeak[] {
    clearInterval(this.timer);
    return [...this.peaks.values()];
  }
}

/** Jiffies of the whole machine (all CPUs): busy and total, from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export function loadAverage(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

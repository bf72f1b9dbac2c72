// What the benchmark reads from the machine (Linux /proc): CPU time and peak memory of a
// process, the CPUs this process may run on, pinning with taskset, and a description of the
// machine and tool versions for the results file.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";

let ticksPerSecond: number | null = null;

/** Clock ticks per second of /proc/<pid>/stat times (getconf CLK_TCK; 100 if unknown). */
function clockTicks(): number {
  if (ticksPerSecond !== null) return ticksPerSecond;
  const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(out.stdout?.trim());
  ticksPerSecond = Number.isFinite(n) && n > 0 ? n : 100;
  return ticksPerSecond;
}

/** User + system CPU seconds a process has used so far (all its threads). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces and parentheses: fields restart after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the name, field 3 (state) is index 0, so utime (14) is 11 and stime (15) is 12.
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/** Peak resident set size of a process since it started (VmHWM), bytes. */
export function peakRssBytes(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Expands a CPU list such as "0-3,6" into [0, 1, 2, 3, 6]. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.trim().split(",")) {
    if (part === "") continue;
    const [lo, hi] = part.split("-").map(Number);
    for (let c = lo!; c <= (hi ?? lo!); c++) out.push(c);
  }
  return out;
}

/** The CPUs this process may run on (its affinity mask, which respects container cpusets). */
export function allowedCpus(): number[] {
  const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? parseCpuList(m[1]!) : cpus().map((_, i) => i);
}

export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/** Moves every thread of a running process onto `cpuList` (e.g. "1" or "0,2-3"). */
export function pinProcess(pid: number, cpuList: string): void {
  execFileSync("taskset", ["-a", "-p", "-c", cpuList, String(pid)], { stdio: "ignore" });
}

/**
 * How the CPUs are shared: the Envoy under test gets the last `concurrency` CPUs, everything else
 * (load generators, upstreams, this script) the rest. Null when there are too few CPUs or no taskset.
 */
export interface CpuPlan {
  envoyCpus: string;
  loadCpus: string;
}

export function planCpus(concurrency: number, wanted: boolean): { plan: CpuPlan | null; why: string } {
  if (!wanted) return { plan: null, why: "pinning disabled (--no-pin)" };
  if (!hasCommand("taskset")) return { plan: null, why: "taskset not found (util-linux); running unpinned" };
  const all = allowedCpus();
  if (all.length <= concurrency) {
    return { plan: null, why: `only ${all.length} CPU(s) for an Envoy with --concurrency ${concurrency}; running unpinned` };
  }
  const envoy = all.slice(all.length - concurrency);
  const load = all.slice(0, all.length - concurrency);
  return { plan: { envoyCpus: envoy.join(","), loadCpus: load.join(",") }, why: "" };
}

export interface MachineInfo {
  cpuModel: string;
  cpusOnline: number;
  cpusAllowed: string;
  memoryGiB: number;
  kernel: string;
  loadAverageAtStart: number[];
}

export function describeMachine(): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? "unknown";
  if (existsSync("/proc/cpuinfo")) {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpuModel = m[1]!.trim();
  }
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number);
  return {
    cpuModel,
    cpusOnline: cpus().length,
    cpusAllowed: allowedCpus().join(","),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    loadAverageAtStart: load,
  };
}

/** The 1-minute load average now. */
export function loadAverage1m(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

/** Busy seconds (everything but idle and iowait; steal included) of each CPU since boot. */
export function cpuBusySeconds(): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = /^cpu(\d+) (.+)$/.exec(line);
    if (!m) continue;
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const t = m[2]!.trim().split(/\s+/).slice(0, 8).map(Number);
    out.set(Number(m[1]), (t[0]! + t[1]! + t[2]! + t[5]! + t[6]! + t[7]!) / clockTicks());
  }
  return out;
}

/** Busy seconds of the CPUs in `cpuList` ("1" or "0,2,3"). */
export function busySecondsOf(cpuList: string): number {
  const busy = cpuBusySeconds();
  return parseCpuList(cpuList).reduce((sum, c) => sum + (busy.get(c) ?? 0), 0);
}

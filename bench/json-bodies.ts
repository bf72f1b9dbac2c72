// The bodies and the CPU timer of the JSON benchmarks (bench/json-speed.ts, the comparison, and
// bench/json-redact-speed.ts, the sample redactor), so that both read the same bodies the same way.
import { Rng } from "../test/emulator/random.ts";

// ---- realistic bodies: a page of an orders API ----

function order(rng: Rng, i: number): unknown {
  const items = Array.from({ length: rng.int(1, 5) }, () => ({
    sku: `SKU-${rng.ascii(8, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")}`,
    name: rng.pick(["Espresso cup", "Café crème filter", "Grinder (manual)", "Kettle — 1.2 l", "Scale 0.1 g", "Tamper 58 mm"]),
    quantity: rng.int(1, 4),
    unit_price: Number((rng.int(199, 19999) / 100).toFixed(2)),
    tags: Array.from({ length: rng.int(0, 3) }, () => rng.pick(["sale", "new", "eco", "gift", "bundle"])),
    etag: rng.ascii(16, "0123456789abcdef"),
  }));
  return {
    id: 100000 + i,
    uuid: `${rng.ascii(8, "0123456789abcdef")}-${rng.ascii(4, "0123456789abcdef")}-4${rng.ascii(3, "0123456789abcdef")}-${rng.ascii(12, "0123456789abcdef")}`,
    status: rng.pick(["pending", "paid", "shipped", "delivered", "cancelled"]),
    created_at: `2026-11-${String(rng.int(1, 28)).padStart(2, "0")}T${String(rng.int(0, 23)).padStart(2, "0")}:${String(rng.int(0, 59)).padStart(2, "0")}:00Z`,
    customer: {
      id: rng.int(1, 1e6),
      name: rng.pick(["Zoë Åkesson", "José Núñez", "Li Wei", "Amara Okafor", "O'Brien, Seán"]),
      email: `${rng.ascii(8)}@example.com`,
      address: {
        street: `${rng.int(1, 300)} ${rng.pick(["Main St", "Rue de la Paix", "Königstraße"])}`,
        city: rng.pick(["Lyon", "Zürich", "Austin"]),
        zip: String(rng.int(10000, 99999)),
        country: rng.pick(["FR", "CH", "US"]),
      },
      vip: rng.chance(0.1),
    },
    items,
    total: Number(items.reduce((s, it) => s + it.unit_price * it.quantity, 0).toFixed(2)),
    currency: "EUR",
    discount: rng.chance(0.3) ? Number((rng.int(1, 50) / 100).toFixed(2)) : null,
    notes: rng.chance(0.2) ? `Leave at the door\n"ring twice"` : null,
    trace_id: rng.ascii(32, "0123456789abcdef"),
  };
}

/** A page of orders of about `bytes` bytes of compact JSON. */
export function ordersPage(bytes: number, seed: number): string {
  const rng = new Rng(seed);
  const orders: unknown[] = [];
  let size = 60;
  while (size < bytes) {
    const o = order(rng, orders.length);
    size += JSON.stringify(o).length + 1;
    orders.push(o);
  }
  return JSON.stringify({ data: orders, meta: { page: 1, per_page: orders.length, total: 4711, request_id: "f3a9c2" } });
}

/** An array of numbers only: the case with the most leaves per byte. */
export function numbers(bytes: number, seed: number): string {
  const rng = new Rng(seed);
  const out: number[] = [];
  let size = 2;
  while (size < bytes) {
    const v = rng.chance(0.5) ? rng.int(0, 100000) : Number((rng.next() * 1000).toFixed(3));
    out.push(v);
    size += String(v).length + 1;
  }
  return JSON.stringify(out);
}

/** The bodies both benchmarks read: a status document, pages of orders, pretty-printed, numbers only. */
export function jsonBenchBodies(): Array<{ name: string; text: string }> {
  return [
    {
      name: "status-200B",
      text: JSON.stringify({
        status: "ok",
        id: 48213,
        version: "2.14.1",
        region: "eu-west-1",
        ready: true,
        checks: { db: "ok", cache: "ok", queue: null },
        updated_at: "2026-11-26T09:47:49Z",
      }),
    },
    { name: "orders-4KiB", text: ordersPage(4 * 1024, 1) },
    { name: "orders-64KiB", text: ordersPage(64 * 1024, 2) },
    { name: "orders-1MiB", text: ordersPage(1024 * 1024, 3) },
    { name: "orders-64KiB-pretty", text: JSON.stringify(JSON.parse(ordersPage(64 * 1024, 2)), null, 2) },
    { name: "numbers-64KiB", text: numbers(64 * 1024, 4) },
  ];
}

// ---- timing ----

/**
 * CPU time (this process, user + system) per run of each function, in µs: `rounds` rounds, each
 * running every function in turn for about `seconds` / `rounds`, and the median per function. CPU
 * time rather than wall time because the machine is shared (a descheduled run costs no CPU);
 * rounds interleaved so that a slow phase of the machine hits every function alike.
 */
export function cpuTimeMedians(fns: Array<() => void>, seconds: number, rounds: number): number[] {
  const cpu = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  for (const fn of fns) {
    const warm = performance.now();
    while (performance.now() - warm < 200) fn();
  }
  const reps = fns.map((fn) => {
    // Runs per round: about seconds / rounds / fns.length of CPU each.
    let n = 0;
    const start = cpu();
    while (cpu() - start < 20_000) {
      fn();
      n++;
    }
    return Math.max(1, Math.round((n * (seconds * 1e6)) / rounds / fns.length / 20_000));
  });
  const samples: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, k) => {
      const start = cpu();
      for (let i = 0; i < reps[k]!; i++) fn();
      samples[k]!.push((cpu() - start) / reps[k]!);
    });
  }
  return samples.map((s) => s.sort((x, y) => x - y)[s.length >> 1]!);
}

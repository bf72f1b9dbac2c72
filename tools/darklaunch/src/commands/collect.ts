// `darklaunch collect`: runs the sample collector until SIGTERM or Ctrl-C (io.signal), then stops
// gracefully: requests being handled finish, their samples are committed, the database is closed.
// Exit code 0 after a clean stop; 2 when it cannot start (bad flags, unusable database, port taken).

import type { CliIO } from "../cli.js";
import { Collector } from "../collector/server.js";
import { CliError, EXIT } from "../errors.js";
import { SampleStore } from "../samples/store.js";

export interface CollectOptions {
  host: string;
  port: number;
  dbFile: string;
  keepMs: number;
  keepText: string;
  maxSamples: number;
  token: string | null;
}

export async function collectCommand(opts: CollectOptions, io: CliIO): Promise<number> {
  const store = SampleStore.open(opts.dbFile);
  const log = (line: string): void => io.err(`darklaunch collect: ${line}\n`);
  const collector = new Collector({
    host: opts.host,
    port: opts.port,
    store,
    keepMs: opts.keepMs,
    maxSamples: opts.maxSamples,
    token: opts.token,
    log,
  });
  let url: string;
  try {
    url = await collector.start();
  } catch (err) {
    store.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot listen on ${opts.host}:${opts.port}: ${code ?? (err as Error).message}`, EXIT.other);
  }
  io.out(
    `darklaunch collect: listening on ${url} (samples: POST ${url}/v1/samples${opts.token === null ? "" : ", bearer token required"}; diff page: ${url}/)\n` +
      `darklaunch collect: database ${opts.dbFile}, ${store.size} samples; keeping ${opts.keepText} and at most ${opts.maxSamples}\n`,
  );
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  log("stopping: finishing the requests in hand");
  await collector.stop();
  io.out(`darklaunch collect: stopped; ${store.file} closed\n`);
  return EXIT.ok;
}

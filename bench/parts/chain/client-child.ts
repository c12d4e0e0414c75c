import { runRequest, type ClientRequest } from './client-run.ts';

/** Child process of runClient: one request over IPC, one answer, then exit. */

process.once('message', (m) => {
  const cpu0 = process.cpuUsage();
  runRequest(m as ClientRequest).then(
    (result) => {
      const cpu = process.cpuUsage(cpu0);
      process.send?.({ ok: true, result, cpuMs: (cpu.user + cpu.system) / 1000 }, () => process.exit(0));
    },
    (err: unknown) => process.send?.({ ok: false, message: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () => process.exit(1)),
  );
});

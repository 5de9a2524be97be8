/** Child-process entry of the load generator: config in argv[2]; progress and the result over IPC. */
import { runLoad, type LoadConfig } from './loadgen.js';

const cfg = JSON.parse(process.argv[2]!) as LoadConfig;
runLoad(cfg, (sample) => process.send!({ type: 'progress', sample })).then(
  (result) => process.send!({ type: 'result', result }, () => process.exit(0)),
  (err: unknown) => process.send!({ type: 'failed', message: (err as Error).stack ?? String(err) }, () => process.exit(1)),
);

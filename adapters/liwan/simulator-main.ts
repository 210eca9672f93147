/**
 * Liwan approval-system simulator as a process:
 *   SIM_CALLBACK_SECRET=… [SIM_PORT=4101] [SIM_HOST=127.0.0.1] [SIM_CALLBACK_URL=…] [SIM_DATA_DIR=var/sim-liwan] \
 *   node --import tsx adapters/liwan/simulator-main.ts
 * Prints `{"msg":"simulator ready","url":…}` on stdout once listening.
 */
import { runSimulatorProcess } from '../simulator-main-kit.js';
import { startLiwanSimulator } from './simulator.js';

await runSimulatorProcess('liwan', startLiwanSimulator);

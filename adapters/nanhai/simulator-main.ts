/**
 * Nanhai approval-system simulator as a process:
 *   SIM_CALLBACK_SECRET=… [SIM_PORT=4102] [SIM_HOST=127.0.0.1] [SIM_CALLBACK_URL=…] [SIM_DATA_DIR=var/sim-nanhai] \
 *   node --import tsx adapters/nanhai/simulator-main.ts
 * Prints `{"msg":"simulator ready","url":…}` on stdout once listening.
 */
import { runSimulatorProcess } from '../simulator-main-kit.js';
import { startNanhaiSimulator } from './simulator.js';

await runSimulatorProcess('nanhai', startNanhaiSimulator);

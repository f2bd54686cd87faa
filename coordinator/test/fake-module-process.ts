// A module in a process of its own, for tests that kill modules: registers with the real client library,
// prints one JSON line per event, and never finishes the step named by HOLD_STEP.
import { createLogger } from '@tickstream/shared';
import { connectEtcd, type ModuleKind, registerModule } from '../src/client';

const env = process.env;
const etcd = connectEtcd(env.ETCD_URL!);
const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
await registerModule(etcd, {
  chainId: Number(env.CHAIN_ID),
  kind: env.KIND as ModuleKind,
  id: env.ID!,
  leaseTtlS: Number(env.MODULE_LEASE_TTL_S ?? 3),
  log: createLogger('fake-module', 'silent'),
  onCommand: async (command) => {
    say({ event: 'command', ...command });
    if (command.step === env.HOLD_STEP) await new Promise(() => {});
  },
});
say({ event: 'registered' });

import type { HDAccount } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';

/** anvil's default mnemonic: its 10 dev accounts hold 10,000 ETH each. */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

let cached: HDAccount[] | undefined;

/**
 * The first `count` accounts of anvil's default mnemonic, as viem local accounts (they sign locally).
 * Account 0 deploys the contracts and owns the factory.
 */
export function devnetAccounts(count = 10): readonly HDAccount[] {
  if (cached === undefined || cached.length < count) {
    cached = Array.from({ length: count }, (_, i) => mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i }));
  }
  return cached.slice(0, count);
}

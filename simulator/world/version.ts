/**
 * Which build of the simulated world the same flags give. Raised whenever a
 * change to the simulator changes what it mines (addresses, transactions,
 * blocks): the same seed then gives fills with other ids, so a data directory
 * synced by an older build must not take the new world's fills.
 *
 * 2: traders trade from Safes and proxy wallets the chain records.
 */
export const SIMULATED_WORLD_VERSION = 2;

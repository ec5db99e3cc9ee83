// Loaded (with --expose-gc) into the soak's server only: SIGUSR2 runs a full garbage collection, so
// the soak can read the memory the server retains, apart from the collector's saw-tooth.
if (typeof globalThis.gc === 'function') process.on('SIGUSR2', () => globalThis.gc())

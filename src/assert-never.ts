/**
 * The exhaustiveness check that closes every state-machine `switch`: a new state that is not
 * handled is a compile error, and a corrupted value at run time a loud one.
 */

/** Called in the `default` branch with the narrowed (`never`) value; throws if ever reached. */
export function assertNever(value: never, machine = 'state machine'): never {
  // A plain Error with a code (errors.ts imports nothing from here, but keeping this file
  // dependency-free lets every module use it without an import cycle).
  throw Object.assign(new Error(`Unexpected ${machine} state ${String(value)}`), { code: 'ERR_UNREACHABLE' });
}

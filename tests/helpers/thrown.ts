/**
 * The error a call throws, when the test expects one of a given class: anything else thrown is
 * re-thrown as it is, and no error at all fails the test naming the class it waited for.
 */
type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

export function thrownBy<E extends Error>(type: ErrorClass<E>, fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    if (err instanceof type) return err;
    throw err;
  }
  throw new Error(`expected a ${type.name}, but nothing was thrown`);
}

/** The same for a call that may return a promise. */
export async function rejectionBy<E extends Error>(type: ErrorClass<E>, fn: () => unknown): Promise<E> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof type) return err;
    throw err;
  }
  throw new Error(`expected a ${type.name}, but nothing was thrown`);
}

// Two jobs at once that only make sense together: the first failure stops the other and is the one reported.

/**
 * Awaits both; when one fails, `stop` is aborted (the jobs watch its signal) so the other ends early, and once both
 * have settled the first failure is thrown: the other's is only the echo of the stop.
 */
export async function sideBySide<A, B>(stop: AbortController, a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  let first: { err: unknown } | undefined;
  const watch = <T>(job: Promise<T>) =>
    job.catch((err: unknown) => {
      first ??= { err };
      stop.abort();
      throw err;
    });
  const [ra, rb] = await Promise.allSettled([watch(a), watch(b)]);
  if (first) throw first.err;
  return [(ra as PromiseFulfilledResult<A>).value, (rb as PromiseFulfilledResult<B>).value];
}

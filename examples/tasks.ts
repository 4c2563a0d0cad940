/**
 * CPU-bound functions for worker nodes: a worker node names a module and one of its exports,
 * because a worker thread cannot receive a closure.
 */

/** Counts the primes below `limit` by trial division: deliberately slow, pure arithmetic. */
export function countPrimes(limit: number): number {
  let count = 0;
  for (let candidate = 2; candidate < limit; candidate += 1) {
    let isPrime = true;
    for (let divisor = 2; divisor * divisor <= candidate; divisor += 1) {
      if (candidate % divisor === 0) {
        isPrime = false;
        break;
      }
    }
    if (isPrime) count += 1;
  }
  return count;
}

const largest = Number.MAX_VALUE;

/**
 * Computes `cp(v) = priority(v) + Σ cp(c)` over the children `c` of `v`, in one pass over the
 * reverse topological order. Sums saturate at ±Number.MAX_VALUE instead of reaching infinity,
 * so they stay comparable. Children are summed in ascending index order, so both engines get
 * bit-identical floating-point results.
 *
 * # Complexity
 * O(V + E).
 */
export function compoundPriorities(
  priority: Float64Array,
  childOffsets: Uint32Array,
  children: Uint32Array,
  order: Uint32Array,
): Float64Array {
  const compound = new Float64Array(priority.length);
  for (let rank = order.length - 1; rank >= 0; rank -= 1) {
    const node = order[rank]!;
    let sum = priority[node]!;
    for (let edge = childOffsets[node]!; edge < childOffsets[node + 1]!; edge += 1) {
      sum = saturate(sum + compound[children[edge]!]!);
    }
    compound[node] = sum;
  }
  return compound;
}

function saturate(value: number): number {
  if (value > largest) return largest;
  if (value < -largest) return -largest;
  return value;
}

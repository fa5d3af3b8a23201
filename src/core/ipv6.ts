/** IPv6 text as inet_ntop writes it, shared by the collectors that read addresses. */

/** Eight hex groups (leading zeros already dropped) → text, the longest run of zero groups as `::`. */
export function formatIpv6Groups(groups: readonly string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

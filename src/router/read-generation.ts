const HEADER = /^# generation (\d+) /;

/** The generation named in the header comment of a config Berth rendered, if any. */
export function readGeneration(configText: string): number | undefined {
  const match = configText.match(HEADER);
  if (!match?.[1]) return undefined;
  const generation = Number(match[1]);
  return Number.isSafeInteger(generation) ? generation : undefined;
}

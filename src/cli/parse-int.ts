import { InvalidArgumentError } from "commander";

export const parseIntOption = (min: number, max: number) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
  const n = Number(value);
  if (n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
  return n;
};

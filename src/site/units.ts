/** Sizes as operators read them, in the CLI and in a run's current details. */
export const mb = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`;

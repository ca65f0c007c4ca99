// The data generation: a number that moves on whenever something the API shows changes (see the
// data_generation migration). Equal generations mean equal data, on every replica.
export interface GenerationStore {
  /** The committed generation now, as a decimal string (a bigint). */
  read(): Promise<string>;
}

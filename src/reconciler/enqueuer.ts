/** What services need from the reconciler: a way to say "this key changed, look again". */
export interface Enqueuer {
  enqueue(key: string): void;
}

/** A file given to a release's containers, rendered from config. */
export interface FileContent {
  path: string;
  content: string;
}

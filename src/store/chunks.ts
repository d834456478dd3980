/** What one chunk of a large delete found to delete, and what it deleted (a node pruning at once may have taken some first). */
export interface PrunedChunk {
  found: number;
  deleted: number;
}

/**
 * Runs `chunk` until one finds less than a full chunk of `size` rows, so no one
 * statement or transaction holds the database for long; returns what they
 * deleted in all. It goes by what a chunk found, not what it deleted: a node
 * pruning the same rows at once leaves less to delete, not less to look at.
 */
export async function inChunks(size: number, chunk: () => Promise<PrunedChunk>): Promise<number> {
  let deleted = 0;
  for (;;) {
    const done = await chunk();
    deleted += done.deleted;
    if (done.found < size) return deleted;
  }
}

/**
 * Keeps a repository's cached tree loaded along the paths a commit just
 * wrote, and unloaded everywhere else.
 *
 * A cached head whose tree stays fully loaded keeps every node any commit
 * walked (the diff, the covering proofs), so it grows with the repository;
 * one that is reloaded from its root CID makes the next commit read and
 * decode its whole path from SQLite again, and decoding an MST node
 * (CBOR, a multiformats CID object per entry, the schema check) was the
 * largest single cost of a createRecord after signing. Writes cluster (TID
 * keys land on the right edge of the tree, one after another), so the path
 * just written is the one the next commit walks: it stays; the siblings that
 * the diff and proofs loaded are dropped back to their CIDs. What a head
 * holds is then bounded by the writes of one commit times the tree's depth,
 * whatever the repository's size.
 *
 * @atproto/repo's MST loads lazily: a node with no `entries` reads them
 * through its pointer on first use. Dropping `entries` of a node whose
 * pointer is up to date is exactly `MST.load(storage, pointer)`.
 *
 * @example
 * trimToPaths(next.data, ['app.bsky.feed.post/3l...'])
 */
import type { MST, NodeEntry } from '@atproto/repo'

/** The fields of an MST node this reaches into (public in JavaScript, private in the types). */
interface MstNode {
  entries: NodeEntry[] | null
  pointer: unknown
  outdatedPointer: boolean
}

const node = (t: MST) => t as unknown as MstNode

/**
 * Unloads every subtree of `root` that none of `keys` falls in; the nodes
 * on the keys' paths keep their entries. `keys` may be in any order.
 */
export function trimToPaths(root: MST, keys: string[]): void {
  trim(root, [...keys].sort())
}

function trim(tree: MST, keys: string[]): void {
  const entries = node(tree).entries
  if (!entries) return
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]
    if (!entry.isTree()) continue
    // A subtree holds the keys between the leaves on either side of it.
    const before = i > 0 && entries[i - 1].isLeaf() ? (entries[i - 1] as { key: string }).key : null
    const after = i + 1 < entries.length && entries[i + 1].isLeaf() ? (entries[i + 1] as { key: string }).key : null
    const inside = keys.filter((k) => (before === null || k > before) && (after === null || k < after))
    if (inside.length > 0) trim(entry, inside)
    else unload(entry)
  }
}

function unload(tree: MST): void {
  const n = node(tree)
  // A node still waiting for its pointer holds changes that exist nowhere else.
  if (n.outdatedPointer || !n.pointer) return
  n.entries = null
}

/** How many nodes of a tree have their entries in memory (tests, diagnostics). */
export function loadedNodes(tree: MST): number {
  const entries = node(tree).entries
  if (!entries) return 0
  let count = 1
  for (const e of entries) if (e.isTree()) count += loadedNodes(e)
  return count
}

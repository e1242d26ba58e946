/**
 * The op table: every entry by name — the free functions, each carrying its spec (name, math, kind, Op).
 * `methods.ts` derives Variable's methods from it and the op-table test iterates it.
 */
import * as binary from './binary.js';
import * as indexing from './indexing.js';
import * as matmul from './matmul.js';
import * as nn from './nn.js';
import * as reduce from './reduce.js';
import * as unary from './unary.js';
import * as views from './views.js';

/** The type of the op table: the entries of every kind module. */
export type OpTable = typeof unary & typeof binary & typeof reduce & typeof views & typeof indexing & typeof matmul & typeof nn;

/** Every op table entry, by name. */
export const opTable: OpTable = { ...unary, ...binary, ...reduce, ...views, ...indexing, ...matmul, ...nn };

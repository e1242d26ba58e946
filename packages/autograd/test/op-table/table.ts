/** The op table's rows, all kinds together: what op-table.test.ts and op-table-forward.test.ts iterate. */
import { edgeCaseRows } from './rows-edge-cases.js';
import { elementwiseRows } from './rows-elementwise.js';
import { linalgRows } from './rows-linalg.js';
import { reduceRows } from './rows-reduce.js';
import { shapeRows } from './rows-shape.js';
import type { Row } from './row.js';

export { unaryRows } from './rows-elementwise.js';
export { variantsOf, type Fn, type Row, type Rule, type Variant } from './row.js';

/** Every row. */
export const rows: Row[] = [...elementwiseRows, ...reduceRows, ...shapeRows, ...linalgRows, ...edgeCaseRows];

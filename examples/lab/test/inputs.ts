// Inputs shared by the explorer tests: as program lines for the page and as float64 leaves for the same math in Node.
import { variable, type Variable } from '@tapegrad/autograd';

const VALUES = {
  x: [[0.5, -1.0, 2.0]],
  W: [
    [0.1, 0.2],
    [-0.3, 0.4],
    [0.5, -0.6],
  ],
  b: [0.05, -0.05],
};

/** `x = [[0.5,-1,2]]`, … — the input lines of a program. */
export const inputLines = (): string[] => Object.entries(VALUES).map(([name, v]) => `${name} = ${JSON.stringify(v)}`);

/** The same inputs as leaves that require a gradient. */
export const inputLeaves = (): { x: Variable; W: Variable; b: Variable } => ({
  x: variable(VALUES.x, { requiresGrad: true, dtype: 'float64' }),
  W: variable(VALUES.W, { requiresGrad: true, dtype: 'float64' }),
  b: variable(VALUES.b, { requiresGrad: true, dtype: 'float64' }),
});

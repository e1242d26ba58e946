// Starting programs for the explorer. Lines with a literal are inputs; the last line is the output.

/** A named example program. */
export interface ExampleProgram {
  id: string;
  title: string;
  source: string;
}

/** The examples, first one shown on load. */
export const EXAMPLES: readonly ExampleProgram[] = [
  {
    id: 'neuron',
    title: 'One neuron: tanh(x·w + b)',
    source: ['x = 0.5', 'w = -1.5', 'b = 0.25', 'y = tanh(x*w + b)'].join('\n'),
  },
  {
    id: 'two-layer',
    title: 'A tiny two-layer net with a squared error',
    source: [
      '# one example, 3 features → 2 hidden units → 1 output',
      'x  = [[1.0, -0.5, 0.25]]',
      'W1 = [[0.2, -0.4], [0.7, 0.1], [-0.3, 0.5]]',
      'b1 = [0.1, -0.1]',
      'W2 = [[0.6], [-0.8]]',
      'b2 = [0.05]',
      'h  = tanh(x @ W1 + b1)',
      'p  = sigmoid(h @ W2 + b2)',
      'loss = sum((p - 1)^2)',
    ].join('\n'),
  },
  {
    id: 'custom-op',
    title: 'A custom op (defineOp): log cosh',
    source: [
      '# logcosh is defined with defineOp: kernels forward, g·tanh x backward',
      'x = [0.5, -2, 3]',
      'w = [1.5, 0.25, -1]',
      'loss = mean(logcosh(x * w))',
    ].join('\n'),
  },
  {
    id: 'softmax-ce',
    title: 'Softmax cross-entropy by hand',
    source: ['z = [2.0, 1.0, 0.1]', 't = [0, 1, 0]', 'loss = -sum(t * logSoftmax(z))'].join('\n'),
  },
];
